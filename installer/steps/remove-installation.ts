// `--uninstall`: remove the containers and images this installer made. The configuration in
// /srv/ai-proxy (with the token and provider keys) stays unless --purge says otherwise.
import { existsSync, rmSync } from 'node:fs';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { removeWorkDir } from './extract.ts';
import { pruneImages } from './clean-up.ts';
import type { Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

export const removeContainers: Step = {
  title: 'Removing the containers',
  exitCode: EXIT.engineUnavailable,
  async run(state) {
    const engine = need(state.engine, 'engine');
    const removed: string[] = [];
    for (const name of [state.ctx.names.container, state.ctx.names.previousContainer, state.ctx.names.nextContainer]) {
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

export const removeImages: Step = {
  title: 'Removing the images',
  exitCode: EXIT.engineUnavailable,
  async run(state) {
    const engine = need(state.engine, 'engine');
    const tagged = await engine.images.ofRepository(state.ctx.names.imageRepo);
    let removed = 0;
    for (const image of tagged) {
      for (const tag of image.tags)
        if (tag.startsWith(`${state.ctx.names.imageRepo}:`)) await engine.images.remove(tag);
      if (!(await engine.images.exists(image.id))) removed++;
    }
    removed += await pruneImages(engine, state.ctx, new Set());
    removeWorkDir(state.ctx.paths.workDir);
    return removed ? `removed ${removed} image${removed === 1 ? '' : 's'}` : 'no image left';
  },
};

export const purgeConfig: Step = {
  title: (state) => `Deleting ${state.ctx.paths.configDir} (--purge)`,
  exitCode: EXIT.configFailed,
  async run(state) {
    const dir = state.ctx.paths.configDir;
    if (!existsSync(dir)) return 'already absent';
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      throw new InstallError(
        EXIT.configFailed,
        `could not delete ${dir}: ${(error as Error).message}`,
        `delete it by hand: sudo rm -rf ${dir}`,
      );
    }
    return 'configuration and token deleted';
  },
};
