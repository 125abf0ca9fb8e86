// What the integration suites run the proxy as, chosen by one variable:
//   PROXY_TARGET=source      (default) src/ under tsx on this machine's Node: the quick local loop
//   PROXY_TARGET=executable  the release executable (Node 24 SEA, its V8 flags, the esbuild bundle
//                            and its lazily loaded assets), unpacked from pkg/ai-proxy-release.tar.gz
//                            or taken from PROXY_EXECUTABLE=/path/to/ai-proxy
// The files under test/executable/ set it for the client suites, so `npm test` runs both.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { extract } from 'tar';

export type ProxyTarget = 'source' | 'executable';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'main.ts');
const ARCHIVE = join(ROOT, 'pkg', 'ai-proxy-release.tar.gz');

export function proxyTarget(): ProxyTarget {
  const value = process.env.PROXY_TARGET ?? 'source';
  if (value !== 'source' && value !== 'executable')
    throw new Error(`PROXY_TARGET=${value}: use "source" (src/ under tsx) or "executable" (the release executable)`);
  return value;
}

/** The executable under test: PROXY_EXECUTABLE, else set by useExecutable(). */
function executablePath(): string {
  const path = process.env.PROXY_EXECUTABLE;
  if (!path) throw new Error('PROXY_TARGET=executable needs PROXY_EXECUTABLE (test/executable/*.test.ts sets it)');
  return path;
}

/** argv[0] and the leading arguments that run `ai-proxy ARGS...` for the current target. */
export function proxyCommand(args: string[]): { command: string; args: string[] } {
  return proxyTarget() === 'executable'
    ? { command: executablePath(), args }
    : { command: process.execPath, args: ['--import', 'tsx', MAIN, ...args] };
}

/**
 * Unpacks `ai-proxy` from the archive once per archive (keyed by its size and mtime) into the
 * temp folder, so concurrent test files share one copy of the ~110 MB executable.
 */
async function unpackExecutable(archive: string): Promise<string> {
  const stat = statSync(archive);
  const key = createHash('sha256').update(`${archive}:${stat.size}:${stat.mtimeMs}`).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `aip-exe-${key}`);
  const executable = join(dir, 'ai-proxy');
  if (existsSync(executable)) return executable;
  const staging = `${dir}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await extract({ file: archive, cwd: staging, preserveOwner: false }, ['ai-proxy']);
  try {
    renameSync(staging, dir);
  } catch {
    // another test file finished the same unpacking first
    rmSync(staging, { recursive: true, force: true });
  }
  return executable;
}

/**
 * For test/executable/*: switches this test process to the executable target. Returns false
 * (after registering a skipped test that says why) when there is no executable to test; with
 * REQUIRE_E2E=1 that registers a failing test instead.
 */
export async function useExecutable(suite: string): Promise<boolean> {
  process.env.PROXY_TARGET = 'executable';
  if (process.env.PROXY_EXECUTABLE) return true;
  if (!existsSync(ARCHIVE)) {
    const reason = `${ARCHIVE} is missing (run npm run release): ${suite} not run against the executable`;
    if (process.env.REQUIRE_E2E === '1')
      test(`${suite} against the release executable (REQUIRE_E2E=1)`, () => {
        throw new Error(reason);
      });
    else test(`${suite} against the release executable`, { skip: reason }, () => {});
    return false;
  }
  process.env.PROXY_EXECUTABLE = await unpackExecutable(ARCHIVE);
  return true;
}

/** "source" or "executable", for suite titles: a failure report says which one failed. */
export const targetLabel = (): string => (proxyTarget() === 'executable' ? 'release executable' : 'source (tsx)');
