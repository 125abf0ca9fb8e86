// Exit 4 "unsupported operating system" has two causes no host here can stage for real: the
// executable is a Linux ELF, so wherever it runs process.platform is "linux" (that check cannot
// be reached at all), and no Docker engine runs Windows containers on a Linux host. The engine's
// side is checked against a stand-in that answers GET /version the way a Windows engine does;
// every other exit 4 has a real cause in test/vps (no engine, arm64 on x64, noexec folders).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHost } from './check-host.ts';
import { runSteps, type AnyStep } from '../flows/run-steps.ts';
import { createProgress } from '../command/progress.ts';
import { nullLog } from '../command/log.ts';
import { defaultsPrompter } from '../command/prompts.ts';
import { contextFor } from '../context.ts';
import { parseOptions } from '../command/args.ts';
import { InstallError } from '../command/errors.ts';
import type { Engine } from '../engine/engine.ts';
import type { Run } from '../flows/step.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-inst-preflight-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An engine endpoint that reports `os` and `arch` in GET /version, on a unix socket. */
async function standInEngine(os: string, arch: string): Promise<{ socket: string; close(): Promise<void> }> {
  const socket = join(dir, `${os}-${arch}.sock`);
  const server = createServer((req, res) => {
    if (!/\/version$/.test(req.url ?? '')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ Version: '24.0.7', ApiVersion: '1.43', MinAPIVersion: '1.24', Os: os, Arch: arch }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function runWith(env: NodeJS.ProcessEnv): Run {
  const log = nullLog(join(dir, 'installer.log'));
  const ctx = {
    ...contextFor('aip-inst-preflight', {
      workDir: join(dir, 'work'),
      configDir: join(dir, 'srv'),
      logFile: join(dir, 'installer.log'),
      lockFile: join(dir, 'installer.lock'),
    }),
    env,
    requireRoot: false,
  };
  return {
    ctx,
    options: parseOptions(['--yes'], {}),
    log,
    progress: createProgress({ isTTY: false, write: () => {} }, log, { color: false, total: 1 }),
    prompter: defaultsPrompter(),
    signal: new AbortController().signal,
    started: Date.now(),
  };
}

test('an engine that runs Windows containers is refused with exit 4', async () => {
  const engine = await standInEngine('windows', 'x86_64');
  try {
    await assert.rejects(
      runSteps(runWith({ DOCKER_HOST: `unix://${engine.socket}` }), [checkHost as unknown as AnyStep]),
      (error: InstallError) => error.exitCode === 4 && /runs windows containers/.test(error.message),
    );
  } finally {
    await engine.close();
  }
});

test('the same stand-in reporting Linux passes the check (the refusal above is the OS, not the stand-in)', async () => {
  const engine = await standInEngine('linux', 'x86_64');
  try {
    const values = (await runSteps(runWith({ DOCKER_HOST: `unix://${engine.socket}` }), [
      checkHost as unknown as AnyStep,
    ])) as { engine?: Engine };
    assert.equal(values.engine?.info.os, 'linux');
  } finally {
    await engine.close();
  }
});
