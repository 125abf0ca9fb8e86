// Create the service, or update it (Swarm's rolling update, one node at a time). An update is
// undone by Swarm's own rollback to the previous spec, unless Swarm already rolled back itself.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { SwarmConfig } from '../config-files/swarm-config.ts';
import { engineMessage } from '../engine/calls.ts';
import type { Engine } from '../engine/engine.ts';
import { poll } from '../engine/poll.ts';
import { serviceSpec } from '../engine/service-spec.ts';
import { LABELS, SERVICE } from '../engine/stack.ts';
import type { ServiceView, Swarm } from '../engine/swarm.ts';
import type { Step } from '../flows/step.ts';
import type { VerifiedArchive } from './verify-archive.ts';

interface DeployInput {
  engine: Engine;
  archive: VerifiedArchive;
  imageRef: string;
  port: number;
  replicas?: number;
  swarmConfig: SwarmConfig;
  /** Secret and config ids by name (create-objects.ts). */
  objectIds: Map<string, string>;
  service?: ServiceView;
}

function idOf(ids: Map<string, string>, name: string): string {
  const id = ids.get(name);
  if (!id) throw new Error(`the swarm object ${name} was not created`);
  return id;
}

export const deployService: Step<DeployInput, { updateStartedAt?: string }> = {
  title: (_run, { service }) =>
    service
      ? `Updating the service ${SERVICE} (rolling, one node at a time)`
      : `Deploying the stack ai-proxy (service ${SERVICE})`,
  exitCode: EXIT.startFailed,
  run: async (run, undo, input) => {
    const { engine, swarmConfig: objects, objectIds: ids, service: before } = input;
    const { swarm } = engine;
    const spec = serviceSpec({
      image: input.imageRef,
      version: input.archive.manifest.version,
      port: input.port,
      ...(input.replicas !== undefined ? { replicas: input.replicas } : {}),
      env: objects.env,
      secrets: objects.secrets.map((s) => ({ variable: s.variable, name: s.name, id: idOf(ids, s.name) })),
      provider: { name: objects.provider.name, id: idOf(ids, objects.provider.name) },
      configHash: objects.configHash,
      apiVersion: engine.info.apiVersion,
    });
    let updateStartedAt: string;
    try {
      if (!before) {
        await swarm.createService(spec);
        undo({
          label: `remove the service ${SERVICE}`,
          run: async () => void (await swarm.removeService(SERVICE)),
        });
        return { detail: 'created', value: {} };
      }
      if (run.options.force)
        (spec.TaskTemplate as { ForceUpdate?: number }).ForceUpdate =
          ((before.spec.TaskTemplate as { ForceUpdate?: number })?.ForceUpdate ?? 0) + 1;
      updateStartedAt = new Date(Date.now() - 1000).toISOString();
      await swarm.updateService(before.id, before.version, spec);
    } catch (error) {
      if (run.signal.aborted) throw error;
      throw new InstallError(
        EXIT.startFailed,
        `the engine refused the service: ${engineMessage(error)}`,
        `see ${run.log.path}; nothing was deployed`,
      );
    }
    undo({
      label: `roll ${SERVICE} back to its previous spec`,
      run: () => rollBack(swarm, run.options.healthTimeout),
    });
    return {
      detail: `update started (previous: ${before.spec.Labels?.[LABELS.version] ?? '?'})`,
      value: { updateStartedAt },
    };
  },
};

/** Undo of an update: Swarm's own rollback, unless Swarm already did it. */
async function rollBack(swarm: Swarm, healthTimeout: number): Promise<void> {
  const current = await swarm.service(SERVICE);
  if (!current || current.updateState?.startsWith('rollback')) return;
  await swarm.rollbackService(current.id, current.version, current.previousSpec ?? current.spec);
  const finished = new Set(['rollback_completed', 'rollback_paused']);
  await poll(async () => (finished.has((await swarm.service(SERVICE))?.updateState ?? '') ? true : undefined), {
    timeoutMs: healthTimeout * 3000,
  });
}
