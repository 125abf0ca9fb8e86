// After the rollout: the hardening a task's container on this node really got, read back from
// the engine (engine/hardening-readback.ts) for the summary, never taken from the spec sent.
import { EXIT } from '../command/exit-codes.ts';
import type { Engine } from '../engine/engine.ts';
import { readHardening, type HardeningReport } from '../engine/hardening-readback.ts';
import { SERVICE } from '../engine/stack.ts';
import type { SwarmMembership } from '../engine/swarm.ts';
import type { Step } from '../flows/step.ts';

export const reportHardening: Step<
  { engine: Engine; membership: SwarmMembership; setuidFree: boolean },
  { hardening?: HardeningReport }
> = {
  title: 'Reading back the hardening a task really got',
  exitCode: EXIT.internal,
  run: async (run, _undo, { engine, membership, setuidFree }) => {
    const tasks = (await engine.swarm.tasks(SERVICE)).filter(
      (t) => t.desired === 'running' && t.state === 'running' && t.containerId,
    );
    const local = tasks.find((t) => t.nodeId === membership.nodeId);
    const container = local?.containerId ? await engine.containers.inspectDocument(local.containerId) : undefined;
    if (!container) {
      run.progress.warn(
        'no task of the service runs on this node: the hardening could not be read back here (check on a node with one: docker inspect)',
      );
      return { detail: 'not read back (no task on this node)', value: {} };
    }
    const hardening = readHardening(container, setuidFree);
    return {
      detail: `${hardening.applied.length} applied, ${hardening.notApplied.length} not applied (listed below)`,
      value: { hardening },
    };
  },
};
