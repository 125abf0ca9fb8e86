// A second release to upgrade to: the real archive with only manifest.json's version changed.
// manifest.json is not in its own file list, so every hash the installer checks still holds:
// this is a different release by the installer's rules, not a way around them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export function archiveWithVersion(source: string, version: string, outDir: string): string {
  const stage = mkdtempSync(join(tmpdir(), 'aip-inst-variant-'));
  try {
    execFileSync('tar', ['-xzf', source, '-C', stage]);
    const manifestPath = join(stage, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.version = version;
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    const out = join(outDir, `ai-proxy-release-${version}.tar.gz`);
    execFileSync('sh', ['-c', `tar -C "${stage}" -cf - . | gzip -1 > "${out}"`]);
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** In the image's root filesystem: without it the proxy cannot start ("error while loading shared libraries"). */
export const MISSING_LIBRARY = 'rootfs/usr/lib/x86_64-linux-gnu/libstdc++.so.6';

/**
 * A release that installs but never becomes healthy: the real archive without libstdc++ (and
 * without its line in manifest.json, so every check the installer makes still passes), under
 * another version. Its container starts and exits at once, again and again.
 */
export function brokenArchive(source: string, version: string, outDir: string): string {
  const stage = mkdtempSync(join(tmpdir(), 'aip-inst-broken-'));
  try {
    execFileSync('tar', ['-xzf', source, '-C', stage]);
    const manifestPath = join(stage, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (!(MISSING_LIBRARY in manifest.files)) throw new Error(`${MISSING_LIBRARY} is not in the release any more`);
    delete manifest.files[MISSING_LIBRARY];
    manifest.version = version;
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(join(stage, MISSING_LIBRARY));
    const out = join(outDir, `ai-proxy-release-${version}-broken.tar.gz`);
    execFileSync('sh', ['-c', `tar -C "${stage}" -cf - . | gzip -1 > "${out}"`]);
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
