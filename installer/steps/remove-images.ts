// `--uninstall`: remove the images this installer built, and the work folder. Only images
// carrying our repository label go, tagged or not: an operator's own image tagged `ai-proxy:...`
// (built from the sources, say) is not ours.
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
    // Finished image-check containers (Swarm) would keep the images from being removed.
    await engine.containers.removeFinished(IMAGE_CHECK_PREFIX);
    const removed = await pruneImages(engine, run.ctx, new Set());
    removeWorkDir(run.ctx.paths.workDir);
    return removed ? `removed ${removed} image${removed === 1 ? '' : 's'}` : 'no image left';
  },
};
