// The two files an operator copies to the VPS, as `npm run release` leaves them in pkg/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
// VPS_RELEASE_DIR: test a release built elsewhere (e.g. `build-release.sh --out DIR`) instead of pkg/
export const PKG_DIR = process.env.VPS_RELEASE_DIR ?? join(REPO_ROOT, 'pkg');

export interface Release {
  archive: string;
  launcher: string;
}

export function releaseIn(dir: string): Release {
  return { archive: join(dir, 'ai-proxy-release.tar.gz'), launcher: join(dir, 'installer.sh') };
}

export const currentRelease = (): Release => releaseIn(PKG_DIR);

export function missingArtifacts(release: Release): string[] {
  return [release.archive, release.launcher].filter((f) => !existsSync(f));
}
