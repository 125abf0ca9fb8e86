// `--uninstall`: remove the containers this installer made (the current one and any left by an
// interrupted run). The configuration in /srv/ai-proxy stays unless --purge says otherwise.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { Engine } from '../engine/engine.ts';
import type { Step } from '../flows/step.ts';

export const removeContainers: Step<{ engine: Engine }> = {
  title: 'Removing the containers',
  exitCode: EXIT.engineUnavailable,
  run: async (run, _undo, { engine }) => {
    const { container, previousContainer, nextContainer } = run.ctx.names;
    const removed: string[] = [];
    for (const name of [container, previousContainer, nextContainer]) {
      const found = await engine.containers.inspect(name);
      if (!found) continue;
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
    return removed.length ? `removed ${removed.join(', ')}` : 'no container installed';
  },
};
