// The new container is healthy, so this is the point of no return: drop the old container,
// keep the current and the previous image, remove the build folder. Nothing here can make the
// installation unhealthy, so problems are warnings, not failures.
import { EXIT } from '../command/exit-codes.ts';
import { removeWorkDir } from '../archive/work-dir.ts';
import { labelKeys, madeByInstaller, type InstallContext } from '../context.ts';
import type { Engine } from '../engine/engine.ts';
import type { Step } from '../flows/step.ts';

/** Removes images of our repository that are neither `keep` nor used by any container. */
export async function pruneImages(engine: Engine, ctx: InstallContext, keep: Set<string>): Promise<number> {
  const inUse = await engine.containers.imagesInUse();
  const images = await engine.images.labelled(`${labelKeys(ctx).repo}=${ctx.names.imageRepo}`);
  let removed = 0;
  for (const image of images) {
    if (keep.has(image.id) || inUse.has(image.id)) continue;
    for (const tag of image.tags) await engine.images.remove(tag);
    if (await engine.images.remove(image.id)) removed++;
  }
  return removed;
}

export const cleanUp: Step<{ engine: Engine; imageId: string; previousImageId?: string }> = {
  title: 'Cleaning up',
  exitCode: EXIT.internal,
  commits: true,
  run: async (run, _undo, { engine, imageId, previousImageId }) => {
    const notes: string[] = [];
    const attempt = async (what: string, action: () => Promise<unknown> | unknown) => {
      try {
        await action();
      } catch (error) {
        run.progress.warn(`could not ${what}: ${(error as Error).message}`);
      }
    };
    const { previousContainer } = run.ctx.names;
    await attempt(`remove ${previousContainer}`, async () => {
      const previous = await engine.containers.inspect(previousContainer);
      if (previous && madeByInstaller(previous.labels, run.ctx)) {
        await engine.containers.remove(previous.id);
        notes.push(`removed ${previousContainer}`);
      }
    });
    await attempt('remove old images', async () => {
      const keep = new Set([imageId, ...(previousImageId ? [previousImageId] : [])]);
      const removed = await pruneImages(engine, run.ctx, keep);
      if (removed) notes.push(`removed ${removed} old image${removed === 1 ? '' : 's'}`);
    });
    await attempt(`remove ${run.ctx.paths.workDir}`, () => removeWorkDir(run.ctx.paths.workDir));
    return notes.join(', ') || 'nothing to remove';
  },
};
