// After the rollout: the hardening a task's container on this node really got, read back from
// the engine (engine/hardening-readback.ts), for the summary.
import { EXIT } from '../command/exit-codes.ts';
import { readHardening } from '../engine/hardening-readback.ts';
import type { Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';
import { SERVICE } from '../engine/stack.ts';

export const reportHardening: Step = {
  title: 'Reading back the hardening a task really got',
  exitCode: EXIT.internal,
  async run(state) {
    const swarm = need(state.swarm, 'swarm');
    const self = swarm.membership.nodeId;
    const tasks = (await swarm.engine.tasks(SERVICE)).filter(
      (t) => t.desired === 'running' && t.state === 'running' && t.containerId,
    );
    const local = tasks.find((t) => t.nodeId === self);
    const container = local?.containerId
      ? await need(state.engine, 'engine').containers.inspectDocument(local.containerId)
      : undefined;
    if (!container) {
      state.progress.warn(
        'no task of the service runs on this node: the hardening could not be read back here (check on a node with one: docker inspect)',
      );
      return 'not read back (no task on this node)';
    }
    swarm.hardening = readHardening(container, state.notes.includes('setuid-free'));
    return `${swarm.hardening.applied.length} applied, ${swarm.hardening.notApplied.length} not applied (listed below)`;
  },
};
