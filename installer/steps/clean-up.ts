// Step 9: the new container is healthy, so this is the point of no return: drop the old
// container, keep the current and the previous image, remove the build folder. Nothing here
// can make the installation unhealthy, so problems are warnings, not failures.
import { EXIT } from '../command/exit-codes.ts';
import type { Engine } from '../engine/engine.ts';
import { removeWorkDir } from './extract.ts';
import { labelKeys } from './plan-install.ts';
import type { InstallContext } from '../context.ts';
import type { Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

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

export const finish: Step = {
  title: 'Cleaning up',
  exitCode: EXIT.internal,
  commits: true,
  async run(state) {
    const engine = need(state.engine, 'engine');
    const notes: string[] = [];
    const attempt = async (what: string, action: () => Promise<unknown> | unknown) => {
      try {
        await action();
      } catch (error) {
        state.progress.warn(`could not ${what}: ${(error as Error).message}`);
      }
    };
    await attempt(`remove ${state.ctx.names.previousContainer}`, async () => {
      const previous = await engine.containers.inspect(state.ctx.names.previousContainer);
      if (previous) {
        await engine.containers.remove(previous.id);
        notes.push(`removed ${state.ctx.names.previousContainer}`);
      }
    });
    await attempt('remove old images', async () => {
      const keep = new Set([
        need(state.imageId, 'image id'),
        ...(state.previousImageId ? [state.previousImageId] : []),
      ]);
      const removed = await pruneImages(engine, state.ctx, keep);
      if (removed) notes.push(`removed ${removed} old image${removed === 1 ? '' : 's'}`);
    });
    await attempt(`remove ${state.ctx.paths.workDir}`, () => removeWorkDir(state.ctx.paths.workDir));
    return notes.join(', ') || 'nothing to remove';
  },
};
