// `--uninstall`: remove the containers this installer made (the current one, the holder that
// publishes its port, old ones still draining and any left by an interrupted run), found by name and then proven ours by their labels: a container of the same
// name without them is the operator's and is left alone. The configuration in /srv/ai-proxy
// stays unless --purge says otherwise.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { labelKeys, madeByInstaller } from '../context.ts';
import type { Engine } from '../engine/engine.ts';
import type { Step } from '../flows/step.ts';

export const removeContainers: Step<{ engine: Engine }> = {
  title: 'Removing the containers',
  exitCode: EXIT.engineUnavailable,
  run: async (run, _undo, { engine }) => {
    const { container, previousContainer, nextContainer, holder } = run.ctx.names;
    const removed: string[] = [];
    const foreign: string[] = [];
    // Old proxies still draining after an upgrade, found by their labels (their names end in an id).
    const draining = (await engine.containers.labelled(`${labelKeys(run.ctx).repo}=${run.ctx.names.imageRepo}`))
      .map((c) => c.name)
      .filter((name) => name.startsWith(run.ctx.names.drainingPrefix));
    // The proxies before the holder whose namespace they share.
    for (const name of [container, previousContainer, nextContainer, ...draining, holder, `${holder}-previous`]) {
      const found = await engine.containers.inspect(name);
      if (!found) continue;
      if (!madeByInstaller(found.labels, run.ctx)) {
        foreign.push(name);
        run.progress.warn(
          `left the container ${name} alone: it does not carry the installer's ${run.ctx.labelPrefix}.* labels, so it is not one this installer made`,
        );
        continue;
      }
      try {
        await engine.containers.remove(found.id);
      } catch (error) {
        throw new InstallError(
          EXIT.engineUnavailable,
          `could not remove the container ${name}: ${(error as Error).message}`,
          'check the engine (sudo systemctl status docker) and run --uninstall again',
        );
      }
      removed.push(name);
    }
    const kept = foreign.length ? ` (not ours, kept: ${foreign.join(', ')})` : '';
    return `${removed.length ? `removed ${removed.join(', ')}` : 'no container installed'}${kept}`;
  },
};
