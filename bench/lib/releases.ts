// Releases for the upgrade benchmark: the release build of another commit (the installer as it
// was, for the "before" rows), and a copy of a release under another version (manifest.json is
// not in its own file list, so every check the installer makes still holds; the launcher gets
// the new archive's sha256). Kept under test/vps/.cache, keyed by commit and version.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, type Release, missingArtifacts, releaseIn } from '../../test/vps/lib/artifacts.ts';
import { CACHE_DIR } from '../../test/vps/lib/images.ts';
import { run, runOk } from '../../test/vps/lib/run.ts';

/** The release build of `ref` (a commit of this repository) as `version`. */
export async function releaseAt(ref: string, version: string): Promise<Release> {
  const commit = (await runOk('git', ['-C', REPO_ROOT, 'rev-parse', '--verify', `${ref}^{commit}`])).stdout.trim();
  const dir = join(CACHE_DIR, 'release-at', `${commit.slice(0, 12)}-${version}`);
  const release = releaseIn(dir);
  if (missingArtifacts(release).length === 0) return release;
  mkdirSync(dir, { recursive: true });
  const clone = mkdtempSync(join(tmpdir(), 'aip-bench-release-'));
  try {
    await runOk('git', ['clone', '--quiet', '--shared', REPO_ROOT, clone], { timeoutMs: 120_000 });
    await runOk('git', ['-C', clone, 'checkout', '--quiet', commit]);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
    const r = await run('sh', ['scripts/build-release.sh', '--out', dir], {
      cwd: clone,
      env: { ...process.env, AI_PROXY_VERSION: version, BUILD_DIR: join(REPO_ROOT, '.build') },
      timeoutMs: 20 * 60_000,
    });
    if (r.code !== 0 || missingArtifacts(release).length) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the release build of ${ref} failed (exit ${r.code}):\n${r.output.slice(-3000)}`);
    }
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
  return release;
}

/** `release` with only its version changed, and its launcher. */
export async function withVersion(release: Release, version: string): Promise<Release> {
  const digest = createHash('sha256').update(readFileSync(release.archive)).digest('hex').slice(0, 12);
  const dir = join(CACHE_DIR, 'release-variant', `${digest}-${version}`);
  const out = releaseIn(dir);
  if (missingArtifacts(out).length === 0) return out;
  mkdirSync(dir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'aip-bench-variant-'));
  try {
    await runOk('tar', ['-xzf', release.archive, '-C', stage]);
    const manifestPath = join(stage, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
    manifest.version = version;
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    // the members in the release build's order and naming (no "./": the launcher extracts `ai-proxy`)
    const members = (await runOk('tar', ['-tzf', release.archive])).stdout.split('\n').filter(Boolean);
    writeFileSync(join(stage, '.members'), `${members.join('\n')}\n`);
    await runOk('sh', [
      '-c',
      `tar -C '${stage}' --owner=0 --group=0 --numeric-owner --no-recursion -T '${stage}/.members' -cf - | gzip -1 > '${out.archive}'`,
    ]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const sha = createHash('sha256').update(readFileSync(out.archive)).digest('hex');
  const launcher = readFileSync(release.launcher, 'utf8')
    .replace(/^ARCHIVE_SHA256='[0-9a-f]{64}'$/m, `ARCHIVE_SHA256='${sha}'`)
    .replace(/^VERSION='[^']*'$/m, `VERSION='${version}'`);
  if (!launcher.includes(sha)) throw new Error(`${release.launcher} has no ARCHIVE_SHA256 line to fill`);
  writeFileSync(out.launcher, launcher, { mode: 0o755 });
  if (!existsSync(out.archive)) throw new Error(`no archive in ${dir}`);
  return out;
}
