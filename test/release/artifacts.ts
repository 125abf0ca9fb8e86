// Where the release tests find the built artifacts, and the few helpers they share. Without
// pkg/ the tests skip with the reason; with REQUIRE_E2E=1 (CI) a missing pkg/ is a failure.
import { test } from 'node:test';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { extract } from 'tar';
import { freePort } from '../lib/free-port.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const REQUIRE_E2E = process.env.REQUIRE_E2E === '1';

export interface Artifacts {
  dir: string;
  archive: string;
  launcher: string;
  sums: string;
}

export function artifactsFor(arch: 'x64' | 'arm64', dir = join(ROOT, 'pkg')): Artifacts {
  const base = arch === 'x64' ? dir : join(dir, 'linux-arm64');
  return {
    dir: base,
    archive: join(base, 'ai-proxy-release.tar.gz'),
    launcher: join(base, 'installer.sh'),
    sums: join(base, 'SHA256SUMS'),
  };
}

/**
 * The x64 artifacts in pkg/, or a skip reason. When they are missing and REQUIRE_E2E=1, a
 * failing test is registered so the run cannot pass without them.
 */
export function requireArtifacts(): { artifacts: Artifacts; skip: false } | { artifacts: undefined; skip: string } {
  const artifacts = artifactsFor('x64');
  const missing = [artifacts.archive, artifacts.launcher, artifacts.sums].filter((file) => !existsSync(file));
  if (missing.length === 0) return { artifacts, skip: false };
  const reason = `release artifacts missing (${missing.join(', ')}): run npm run release`;
  if (REQUIRE_E2E) {
    test('release artifacts exist (REQUIRE_E2E=1)', () => {
      throw new Error(reason);
    });
  }
  return { artifacts: undefined, skip: reason };
}

export function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000, ...options });
  if (result.error) throw result.error;
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `aip-release-${label}-`));
}

/** Unpacks the archive (or only the named members) into a fresh temporary folder. */
export async function unpack(archive: string, members?: string[]): Promise<string> {
  const dir = tempDir('unpacked');
  const options = { file: archive, cwd: dir, preserveOwner: false };
  await (members ? extract(options, members) : extract(options));
  return dir;
}

export interface Manifest {
  name: string;
  version: string;
  commit: string;
  arch: string;
  node: string;
  debianPackages: Array<{ package: string; version: string; sha256: string; file: string }>;
  files: Record<string, string>;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

export { freePort };

/** A config folder the proxy accepts: the archive's templates with a token filled in. */
export function configFrom(unpacked: string, into: string): void {
  const env = readFileSync(join(unpacked, '.env.example'), 'utf8').replace(
    /^AUTH_TOKEN=.*$/m,
    `AUTH_TOKEN=${'t'.repeat(40)}`,
  );
  mkdirSync(into, { recursive: true, mode: 0o755 });
  copyFileSync(join(unpacked, 'provider-config.yaml'), join(into, 'provider-config.yaml'));
  writeFileSync(join(into, '.env'), env);
  // Readable by the image's user (1001) through a bind mount, whatever the umask.
  for (const name of ['provider-config.yaml', '.env']) chmodSync(join(into, name), 0o644);
  chmodSync(into, 0o755);
}
