// The second release for the upgrade scenario: the real release build run again with another
// version (AI_PROXY_VERSION, honoured by scripts/build-release.sh) into a folder of its own,
// so it never races pkg/. It builds a clone of HEAD, not the working tree, so that files
// someone is editing at that moment cannot break it. Cached per archive it upgrades from.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOk } from './run.ts';
import { CACHE_DIR } from './images.ts';
import { REPO_ROOT, type Release, currentRelease, missingArtifacts, releaseIn } from './artifacts.ts';

export async function releaseVersion(release: Release): Promise<string> {
  const manifest = await runOk('tar', ['-xzOf', release.archive, 'manifest.json']);
  const version = (JSON.parse(manifest.stdout) as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error(`${release.archive}: manifest.json has no version`);
  return version;
}

/** 1.2.3 -> 1.2.4 (a pre-release suffix is dropped): a version an operator would upgrade to. */
export function nextVersion(version: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`cannot derive an upgrade version from "${version}"`);
  return `${m[1]}.${m[2]}.${Number(m[3]) + 1}`;
}

let pending: Promise<{ release: Release; version: string; seconds: number }> | undefined;

export function nextRelease(): Promise<{ release: Release; version: string; seconds: number }> {
  pending ??= build();
  return pending;
}

async function build() {
  const started = Date.now();
  const current = currentRelease();
  const digest = createHash('sha256').update(readFileSync(current.archive)).digest('hex').slice(0, 12);
  const version = nextVersion(await releaseVersion(current));
  const dir = join(CACHE_DIR, 'release-next', digest);
  const release = releaseIn(dir);
  if (missingArtifacts(release).length === 0) return { release, version, seconds: 0 };
  // builds for archives that are gone are of no further use
  rmSync(join(CACHE_DIR, 'release-next'), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const clone = mkdtempSync(join(tmpdir(), 'aip-vps-release-next-'));
  let r;
  try {
    await runOk('git', ['clone', '--quiet', '--shared', REPO_ROOT, clone], { timeoutMs: 120_000 });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
    r = await run('sh', ['scripts/build-release.sh', '--out', dir], {
      cwd: clone,
      // the clone shares the build caches (.deb files, runtimes), not the work folders
      env: { ...process.env, AI_PROXY_VERSION: version, BUILD_DIR: join(REPO_ROOT, '.build') },
      timeoutMs: 20 * 60_000,
    });
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
  writeFileSync(join(CACHE_DIR, 'release-next.log'), r.output);
  if (r.code !== 0 || missingArtifacts(release).length) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `the release build of version ${version} for the upgrade failed (exit ${r.code}):\n${r.output.slice(-3000)}`,
    );
  }
  if (!existsSync(release.archive)) throw new Error(`no archive in ${dir}`);
  return { release, version, seconds: (Date.now() - started) / 1000 };
}
