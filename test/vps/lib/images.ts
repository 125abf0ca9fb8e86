// Builds the VPS images from Debian's archive, or reuses them. Three layers of cache, cheapest
// first: the tagged image; the debootstrap root filesystem tarball in .cache/ (a rebuild of the
// image from it takes seconds); debootstrap's own .deb cache (a recipe change downloads only
// what is new).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOk, run, runOk } from './run.ts';
import { IMAGE_DIR, MIRROR, type Recipe, baseTag, dockerfile, imageTag, rootfsHash } from './recipes.ts';

export const CACHE_DIR = join(import.meta.dirname, '..', '.cache');

export interface ImageBuild {
  recipe: Recipe;
  tag: string;
  /** what had to be done: nothing, docker import + build from the cached tarball, or debootstrap too */
  work: 'cached' | 'image' | 'debootstrap';
  seconds: number;
  /** seconds per phase that ran: debootstrap (+ tar), docker import, docker build */
  phases: Partial<Record<'debootstrap' | 'import' | 'build', number>>;
}

async function imageExists(tag: string): Promise<boolean> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', tag])).code === 0;
}

async function debootstrap(r: Recipe, tarball: string, log: (line: string) => void): Promise<void> {
  const work = join(CACHE_DIR, 'work', `${r.name}-${rootfsHash(r)}`);
  const debs = join(CACHE_DIR, 'debs', r.name);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  mkdirSync(debs, { recursive: true });
  log(`debootstrap ${r.suite} (${r.packages.join(',')})`);
  const result = await run(
    'debootstrap',
    ['--variant=minbase', `--include=${r.packages.join(',')}`, `--cache-dir=${debs}`, r.suite, work, MIRROR],
    { timeoutMs: 20 * 60_000 },
  );
  if (result.code !== 0) {
    const logFile = join(work, 'debootstrap', 'debootstrap.log');
    const detail = existsSync(logFile) ? (await run('tail', ['-n', '30', logFile])).stdout : result.output.slice(-3000);
    throw new Error(`debootstrap of ${r.suite} failed (exit ${result.code}); is ${MIRROR} reachable?\n${detail}`);
  }
  // tar to a temporary name first: an interrupted run must not leave a truncated "cached" tarball
  const partial = `${tarball}.partial`;
  await runOk('tar', ['-C', work, '--numeric-owner', '-cf', partial, '.'], { timeoutMs: 10 * 60_000 });
  renameSync(partial, tarball);
  rmSync(work, { recursive: true, force: true });
}

/** Makes sure the image of one recipe exists; returns what it took. */
export async function ensureImage(r: Recipe, log: (line: string) => void = () => {}): Promise<ImageBuild> {
  const started = Date.now();
  const tag = imageTag(r);
  const phases: ImageBuild['phases'] = {};
  const timed = async (phase: keyof ImageBuild['phases'], fn: () => Promise<unknown>) => {
    const t = Date.now();
    await fn();
    phases[phase] = (Date.now() - t) / 1000;
  };
  const done = (work: ImageBuild['work']): ImageBuild => ({
    recipe: r,
    tag,
    work,
    seconds: (Date.now() - started) / 1000,
    phases,
  });
  if (await imageExists(tag)) return done('cached');

  mkdirSync(CACHE_DIR, { recursive: true });
  const tarball = join(CACHE_DIR, `rootfs-${r.name}-${rootfsHash(r)}.tar`);
  let work: ImageBuild['work'] = 'image';
  if (!existsSync(tarball)) {
    await timed('debootstrap', () => debootstrap(r, tarball, log));
    work = 'debootstrap';
  }
  const base = baseTag(r);
  if (!(await imageExists(base))) {
    log(`docker import ${tarball} (${Math.round(statSync(tarball).size / 1e6)} MB) as ${base}`);
    await timed('import', () => dockerOk(['import', tarball, base], { timeoutMs: 10 * 60_000 }));
  }
  log(`docker build ${tag}`);
  await timed('build', () =>
    dockerOk(['build', '--quiet', '-t', tag, '-f', '-', IMAGE_DIR], {
      input: dockerfile(base, r),
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      timeoutMs: 10 * 60_000,
    }),
  );
  return done(work);
}

/** Builds several recipes with at most `parallel` at a time (debootstrap's dpkg unpacking is CPU-bound). */
export async function ensureImages(
  recipes: readonly Recipe[],
  parallel = 2,
  log: (line: string) => void = () => {},
): Promise<ImageBuild[]> {
  const results: ImageBuild[] = [];
  const queue = [...recipes];
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const current = r;
      results.push(await ensureImage(current, (line) => log(`[${current.name}] ${line}`)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, recipes.length) }, worker));
  return results.sort((a, b) => recipes.indexOf(a.recipe) - recipes.indexOf(b.recipe));
}

export function describePhases(b: ImageBuild): string {
  const parts = Object.entries(b.phases).map(([phase, s]) => `${phase} ${s.toFixed(1)} s`);
  return parts.length ? `(${parts.join(', ')})` : '';
}

/**
 * Removes VPS images and root filesystem tarballs of earlier versions of these recipes: a recipe
 * change leaves the old ones unused (~600 MB each). Without -f, an image a running VPS still uses
 * stays. Images of recipes this checkout does not know are another checkout's (a branch that
 * adds a recipe, on the same engine): they are left alone.
 */
export async function pruneStale(recipes: readonly Recipe[]): Promise<string[]> {
  const keep = new Set(recipes.flatMap((r) => [imageTag(r), baseTag(r)]));
  const names = new Set(recipes.map((r) => r.name));
  const recipeOf = (tag: string) => tag.slice(tag.indexOf(':') + 1).replace(/-[0-9a-f]+$/, '');
  const listed = await dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=aip-vps-*']);
  const removed: string[] = [];
  const stale = (t: string) => /^aip-vps-(img|base):/.test(t) && !keep.has(t) && names.has(recipeOf(t));
  for (const tag of listed.stdout.split('\n').filter(stale)) {
    if ((await docker(['rmi', tag])).code === 0) removed.push(tag);
  }
  const tarballs = new Set(recipes.map((r) => `rootfs-${r.name}-${rootfsHash(r)}.tar`));
  for (const file of existsSync(CACHE_DIR) ? readdirSync(CACHE_DIR) : []) {
    if (/^rootfs-.*\.tar$/.test(file) && !tarballs.has(file)) {
      rmSync(join(CACHE_DIR, file), { force: true });
      removed.push(file);
    }
  }
  return removed;
}
