// The linux-arm64 release (`npm run release -- --arch all` puts it in pkg/linux-arm64/) and the
// emulator that runs its executable on this x64 machine.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_DIR } from './artifacts.ts';

export const QEMU_AARCH64 = '/usr/bin/qemu-aarch64-static';

export const artifactsDir = (arch: 'arm64') => join(PKG_DIR, `linux-${arch}`);

/** Why the arm64 cases cannot run here, or undefined. */
export function arm64Missing(): string | undefined {
  const archive = join(artifactsDir('arm64'), 'ai-proxy-release.tar.gz');
  if (!existsSync(archive)) return `${archive} is missing: run npm run release -- --arch all`;
  if (!existsSync(QEMU_AARCH64)) return `${QEMU_AARCH64} is missing: apt-get install qemu-user-static`;
  return undefined;
}
