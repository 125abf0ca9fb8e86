// After the hand-over: drop the old containers (a stopped `-previous` from a run that moved the
// port to a new holder, old proxies that have finished draining), keep the current and the
// previous image, remove the build folder. An old proxy still draining keeps its image too. Nothing here can make the
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

/** Removes the old proxies that have finished draining; returns how many, and the names still draining. */
export async function removeDrained(
  engine: Engine,
  ctx: InstallContext,
): Promise<{ removed: number; draining: string[] }> {
  let removed = 0;
  const draining: string[] = [];
  for (const c of await engine.containers.labelled(`${labelKeys(ctx).repo}=${ctx.names.imageRepo}`)) {
    if (!c.name.startsWith(ctx.names.drainingPrefix) || !madeByInstaller(c.labels, ctx)) continue;
    if (c.state === 'running' || c.state === 'restarting') draining.push(c.name);
    else {
      await engine.containers.remove(c.id);
      removed++;
    }
  }
  return { removed, draining };
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
    const { previousContainer, holder } = run.ctx.names;
    for (const name of [previousContainer, `${holder}-previous`])
      await attempt(`remove ${name}`, async () => {
        const previous = await engine.containers.inspect(name);
        if (previous && madeByInstaller(previous.labels, run.ctx)) {
          await engine.containers.remove(previous.id);
          notes.push(`removed ${name}`);
        }
      });
    await attempt('remove drained containers', async () => {
      const { removed, draining } = await removeDrained(engine, run.ctx);
      if (removed) notes.push(`removed ${removed} drained container${removed === 1 ? '' : 's'}`);
      if (draining.length) notes.push(`${draining.join(', ')} still draining`);
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
