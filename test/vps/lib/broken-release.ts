// A release that installs but whose proxy cannot start on the host: the current archive with
// libstdc++ left out of the image's root filesystem (and of manifest.json, so every check the
// installer makes still passes), under a higher version, with its launcher. It is what a release
// built against the wrong runtime libraries looks like to an operator: the image builds, the
// container starts and exits at once ("error while loading shared libraries"), it never becomes
// healthy, and the installer must put the previous version back (exit 13).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from './run.ts';
import { CACHE_DIR } from './images.ts';
import { type Release, currentRelease, releaseIn } from './artifacts.ts';
import { nextVersion, releaseVersion } from './next-release.ts';

export const MISSING_LIBRARY = 'rootfs/usr/lib/x86_64-linux-gnu/libstdc++.so.6';

let pending: Promise<{ release: Release; version: string }> | undefined;

export function brokenRelease(): Promise<{ release: Release; version: string }> {
  pending ??= build();
  return pending;
}

async function build(): Promise<{ release: Release; version: string }> {
  const current = currentRelease();
  const archiveBytes = readFileSync(current.archive);
  const digest = createHash('sha256').update(archiveBytes).digest('hex').slice(0, 12);
  // two above the current one: the upgrade scenarios use one above
  const version = nextVersion(nextVersion(await releaseVersion(current)));
  const dir = join(CACHE_DIR, 'release-broken', digest);
  const release = releaseIn(dir);
  rmSync(join(CACHE_DIR, 'release-broken'), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'aip-vps-release-broken-'));
  try {
    await runOk('tar', ['-xzf', current.archive, '-C', stage]);
    rmSync(join(stage, MISSING_LIBRARY));
    const manifestPath = join(stage, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      version: string;
      files: Record<string, string>;
    };
    if (!(MISSING_LIBRARY in manifest.files)) throw new Error(`${MISSING_LIBRARY} is not in the release any more`);
    delete manifest.files[MISSING_LIBRARY];
    manifest.version = version;
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    // the members as the release build names them (no "./" prefix: the launcher extracts `ai-proxy`), in its order
    const members = (await runOk('tar', ['-tzf', current.archive])).stdout
      .split('\n')
      .filter((name) => name !== '' && name !== MISSING_LIBRARY);
    writeFileSync(join(stage, '.members'), `${members.join('\n')}\n`);
    await runOk('sh', [
      '-c',
      `tar -C '${stage}' --owner=0 --group=0 --numeric-owner --no-recursion -T '${stage}/.members' -cf - | gzip -1 > '${release.archive}'`,
    ]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  // the launcher the release build would write for it: the same template, this archive's sha256
  const sha = createHash('sha256').update(readFileSync(release.archive)).digest('hex');
  const launcher = readFileSync(current.launcher, 'utf8')
    .replace(/^ARCHIVE_SHA256='[0-9a-f]{64}'$/m, `ARCHIVE_SHA256='${sha}'`)
    .replace(/^VERSION='[^']*'$/m, `VERSION='${version}'`);
  if (!launcher.includes(sha)) throw new Error(`${current.launcher} has no ARCHIVE_SHA256 line to fill`);
  writeFileSync(release.launcher, launcher, { mode: 0o755 });
  return { release, version };
}
