// `--uninstall`: remove the images this installer built (every tag of our repository and the
// untagged ones carrying our label), and the work folder.
import { EXIT } from '../command/exit-codes.ts';
import { removeWorkDir } from '../archive/work-dir.ts';
import type { Engine } from '../engine/engine.ts';
import type { Step } from '../flows/step.ts';
import { IMAGE_CHECK_PREFIX } from './image-check.ts';
import { pruneImages } from './clean-up.ts';

export const removeImages: Step<{ engine: Engine }> = {
  title: 'Removing the images',
  exitCode: EXIT.engineUnavailable,
  run: async (run, _undo, { engine }) => {
    const { imageRepo } = run.ctx.names;
    // Finished image-check containers (Swarm) would keep the images from being removed.
    await engine.containers.removeFinished(IMAGE_CHECK_PREFIX);
    const tagged = await engine.images.ofRepository(imageRepo);
    let removed = 0;
    for (const image of tagged) {
      for (const tag of image.tags) if (tag.startsWith(`${imageRepo}:`)) await engine.images.remove(tag);
      if (!(await engine.images.exists(image.id))) removed++;
    }
    removed += await pruneImages(engine, run.ctx, new Set());
    removeWorkDir(run.ctx.paths.workDir);
    return removed ? `removed ${removed} image${removed === 1 ? '' : 's'}` : 'no image left';
  },
};
