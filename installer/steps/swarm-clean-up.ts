// After success on a swarm node: the extracted archive goes, and so do our images that no
// container uses. The previous version's image stays: Swarm keeps the replaced task's container
// (task history), which is what a rollback to the previous spec needs.
import { EXIT } from '../command/exit-codes.ts';
import { removeWorkDir } from '../archive/work-dir.ts';
import type { Engine } from '../engine/engine.ts';
import type { Step } from '../flows/step.ts';
import { pruneImages } from './clean-up.ts';

export const swarmCleanUp: Step<{ engine: Engine; imageId?: string }> = {
  title: 'Cleaning up',
  exitCode: EXIT.internal,
  commits: true,
  run: async (run, _undo, { engine, imageId }) => {
    const { workDir } = run.ctx.paths;
    removeWorkDir(workDir);
    try {
      const removed = await pruneImages(engine, run.ctx, new Set(imageId ? [imageId] : []));
      return removed
        ? `removed ${workDir} and ${removed} unused old image${removed === 1 ? '' : 's'}`
        : `removed ${workDir}`;
    } catch (error) {
      run.progress.warn(`could not remove old images: ${(error as Error).message}`);
      return `removed ${workDir}`;
    }
  },
};
