// Which ai-proxy the hostile suite attacks: the release executable, as users run it. By default
// it is unpacked once from pkg/ai-proxy-release.tar.gz (cached by the archive's size and mtime);
// AI_PROXY_TEST_BIN=/path/to/ai-proxy attacks another build (e.g. an older one, for "before"
// figures). Without either, or without promtool, the suite skips with the reason; with
// REQUIRE_E2E=1 (CI) that is a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { extract } from 'tar';
import { artifactsFor, REQUIRE_E2E } from '../../release/artifacts.ts';

export interface Preconditions {
  skip: string | false;
  /** Resolves to the executable's path; only call it when skip is false. */
  executable(): Promise<string>;
}

function hasPromtool(): boolean {
  return spawnSync('sh', ['-c', 'command -v promtool'], { stdio: 'ignore' }).status === 0;
}

async function unpackedFrom(archive: string): Promise<string> {
  const s = statSync(archive);
  const dir = join(tmpdir(), `aip-hostile-bin-${s.size}-${Math.round(s.mtimeMs)}`);
  const bin = join(dir, 'ai-proxy');
  if (existsSync(bin)) return bin;
  // Unpack beside, then rename: two test files starting together never see half a file.
  const partial = `${dir}.${process.pid}`;
  mkdirSync(partial, { recursive: true });
  await extract({ file: archive, cwd: partial, preserveOwner: false }, ['ai-proxy']);
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another file won the race
  }
  return bin;
}

/** What the suite needs, checked once per test file. */
export function preconditions(): Preconditions {
  const fromEnv = process.env.AI_PROXY_TEST_BIN;
  const archive = artifactsFor('x64').archive;
  const missing: string[] = [];
  if (fromEnv ? !existsSync(fromEnv) : !existsSync(archive))
    missing.push(
      fromEnv ? `AI_PROXY_TEST_BIN=${fromEnv} does not exist` : `${archive} is missing: run npm run release`,
    );
  if (!hasPromtool()) missing.push('promtool is missing: apt-get install prometheus');
  const skip = missing.length > 0 ? missing.join('; ') : false;
  if (skip && REQUIRE_E2E) {
    test('the hostile suite can run (REQUIRE_E2E=1)', () => {
      throw new Error(skip);
    });
  }
  let bin: Promise<string> | undefined;
  return { skip, executable: () => (bin ??= fromEnv ? Promise.resolve(fromEnv) : unpackedFrom(archive)) };
}
