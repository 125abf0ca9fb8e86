// `--uninstall`: the stack first where this node manages one (a worker that runs a task of it is
// refused: its manager would start it again), then the boot unit, the containers, the images and, with --purge,
// the configuration.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { summarize } from '../command/summary.ts';
import type { Engine } from '../engine/engine.ts';
import { swarmSupported } from '../engine/service-spec.ts';
import { SERVICE } from '../engine/stack.ts';
import { purgeConfig } from '../steps/purge-config.ts';
import { removeBootUnit } from '../steps/remove-boot-unit.ts';
import { purgeStackObjects } from '../steps/purge-stack-objects.ts';
import { removeContainers } from '../steps/remove-containers.ts';
import { removeImages } from '../steps/remove-images.ts';
import { removeStack } from '../steps/remove-stack.ts';
import { flow, type FlowBuilder, type HostChecked } from './flow.ts';
import type { Run } from './step.ts';

/** Whether this node manages the stack; a worker running one of its tasks is refused here. */
async function stackHere(_run: Run, { engine }: { engine: Engine }): Promise<{ path: 'node' | 'manager' }> {
  if (!swarmSupported(engine.info.apiVersion)) return { path: 'node' };
  const membership = await engine.swarm.membership();
  if (membership.state !== 'active') return { path: 'node' };
  if (membership.manager) return { path: 'manager' };
  if ((await engine.containers.ofService(SERVICE)).some((c) => c.state === 'running')) {
    throw new InstallError(
      EXIT.usage,
      `this node is a swarm worker running a task of ${SERVICE}: the manager would start it again`,
      'run --uninstall on the manager, which removes the stack, or take this node out first with --swarm leave',
    );
  }
  return { path: 'node' };
}

function removeFromThisHost<S extends HostChecked & { action: string }>(flow: FlowBuilder<S>) {
  return flow
    .phase('remove')
    .step(removeBootUnit)
    .step(removeContainers)
    .step(removeImages)
    .step(purgeConfig)
    .report((run, facts) => {
      run.progress.info(
        `ai-proxy is uninstalled${run.options.purge ? ' and its configuration deleted' : `; the configuration is kept in ${run.ctx.paths.configDir} (delete it with --uninstall --purge)`}.`,
      );
      return summarize(run, facts);
    });
}

export const uninstallFlow = flow('uninstall')
  .derive(() => ({ action: 'uninstall' }))
  .branch(stackHere, {
    node: (f) => removeFromThisHost(f.gate({})),
    manager: (f) => removeFromThisHost(f.gate({}).phase('stack').step(removeStack).step(purgeStackObjects)),
  });
