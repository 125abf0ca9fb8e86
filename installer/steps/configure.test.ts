import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configure } from './configure.ts';
import { runSteps, type AnyStep } from '../flows/run-steps.ts';
import { createProgress } from '../command/progress.ts';
import { nullLog } from '../command/log.ts';
import { defaultsPrompter } from '../command/prompts.ts';
import { contextFor } from '../context.ts';
import { parseOptions } from '../command/args.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { ConfigChange } from '../config-files/config-change.ts';
import type { Run, Step } from '../flows/step.ts';

const root = mkdtempSync(join(tmpdir(), 'aip-inst-configure-'));
after(() => rmSync(root, { recursive: true, force: true }));

function runFor(name: string): Run {
  const dirs = {
    workDir: join(root, name, 'work'),
    configDir: join(root, name, 'srv'),
    logFile: join(root, name, 'installer.log'),
    lockFile: join(root, name, 'installer.lock'),
  };
  mkdirSync(dirs.workDir, { recursive: true });
  const log = nullLog(dirs.logFile);
  return {
    ctx: contextFor(`aip-inst-${name}`, dirs, {}),
    options: parseOptions(['--yes'], {}),
    log,
    progress: createProgress({ isTTY: false, write: () => {} }, log, { color: false, total: 2 }),
    prompter: defaultsPrompter(),
    signal: new AbortController().signal,
    started: Date.now(),
  };
}

/** What configure is handed by the steps before it. */
const inputFor = (config: ConfigChange) => ({ config, dockerfile: 'FROM scratch\n' });
const steps = [configure, buildFailsStep()] as unknown as AnyStep[];

function buildFailsStep(): Step {
  return {
    title: 'Building the image',
    exitCode: EXIT.buildFailed,
    run: async () => {
      throw new InstallError(EXIT.buildFailed, 'image build failed: no space left on device');
    },
  };
}

// Bytes no rewrite would keep by accident: CRLF, a comment, no newline at the end, non-ASCII.
const OPERATOR_ENV = Buffer.from('# mine\r\nAUTH_TOKEN=tok-ÄÖ-0123456789abcdef0123456789\r\nPORT=8080', 'utf8');
const OPERATOR_PROVIDERS = Buffer.from('providers:\n  - name: echo\n    type: echo\n\n\n');

test('a later step failing restores .env and provider-config.yaml byte for byte', async () => {
  const run = runFor('rollback');
  const input = inputFor({
    firstInstall: false,
    current: { env: OPERATOR_ENV, provider: OPERATOR_PROVIDERS },
    next: { env: 'AUTH_TOKEN=tok\nPORT=9090\n', provider: 'providers: []\n' },
    configHash: 'x',
  });
  const { configDir } = run.ctx.paths;
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, '.env'), OPERATOR_ENV);
  writeFileSync(join(configDir, 'provider-config.yaml'), OPERATOR_PROVIDERS);

  await assert.rejects(runSteps(run, steps, [], input), (error: InstallError) => error.exitCode === 12);
  assert.deepEqual(readFileSync(join(configDir, '.env')), OPERATOR_ENV);
  assert.deepEqual(readFileSync(join(configDir, 'provider-config.yaml')), OPERATOR_PROVIDERS);
});

test('a failed first install leaves no configuration folder behind', async () => {
  const run = runFor('first');
  const input = inputFor({
    firstInstall: true,
    current: {},
    next: { env: 'AUTH_TOKEN=tok\nPORT=9090\n', provider: 'providers: []\n' },
    configHash: 'x',
  });
  await assert.rejects(runSteps(run, steps, [], input));
  assert.equal(existsSync(run.ctx.paths.configDir), false);
});
