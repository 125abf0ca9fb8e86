// Upgrade to another release while a probe loop measures downtime, then signals: SIGINT rolls
// back to the serving previous container (exit 130); SIGKILL at two points leaves leftovers
// that the next run finds and turns into a healthy installation.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  exists,
  freePort,
  get,
  inspect,
  install,
  newInstall,
  RELEASE_ARCHIVE,
  skipReason,
  type TestInstall,
} from './lib/harness.ts';
import { archiveWithVersion } from './lib/variant.ts';

const reason = skipReason();
const CHILD = resolve('test/installer/lib/child.ts');

interface ChildRun {
  code: Promise<number | null>;
  output: () => string;
}

/** Starts the installer in a child process and sends `signal` once `marker` appears in its output. */
function runChild(t: TestInstall, argv: string[], marker: RegExp, signal: NodeJS.Signals): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...argv], {
    env: {
      ...process.env,
      AIP_INST_CONTEXT: JSON.stringify({ name: t.name, dirs: { ...t.ctx.paths, hostRoot: t.ctx.hostRoot } }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let sent = false;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (!sent && marker.test(output)) {
      sent = true;
      child.kill(signal);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return { code: new Promise((done) => child.on('exit', (code) => done(code))), output: () => output };
}

async function assertHealthyInstall(t: TestInstall, port: number): Promise<void> {
  const info = inspect(t.name);
  assert.equal(info.State.Health.Status, 'healthy');
  assert.equal((await get(port, '/ping')).status, 200);
  assert.ok(!exists(`${t.name}-previous`), 'no previous container left');
  assert.ok(!exists(`${t.name}-next`), 'no unfinished container left');
  assert.equal(existsSync(t.ctx.paths.workDir), false, 'no build folder left');
}

describe('upgrade, signals and recovery on the local engine', { skip: reason ?? false }, () => {
  let t: TestInstall;
  let port: number;
  let upgradeArchive: string;
  const argv = (archive: string, ...extra: string[]) => [
    '--archive',
    archive,
    '--yes',
    '--port',
    String(port),
    ...extra,
  ];

  before(async () => {
    t = newInstall();
    port = await freePort();
    upgradeArchive = archiveWithVersion(RELEASE_ARCHIVE, '99.0.0-test', t.root);
    const first = await install(t.ctx, argv(RELEASE_ARCHIVE));
    assert.equal(first.code, 0, first.error?.message);
  });
  after(() => t?.cleanup());

  test('upgrade to another release: configuration kept, previous image kept, short downtime', async (ctx) => {
    const envBefore = readFileSync(join(t.ctx.paths.configDir, '.env'));
    const oldImage = inspect(t.name).Image;
    let failures = 0;
    let longestGap = 0;
    let gapStart = 0;
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const at = Date.now();
        const ok = await get(port, '/ping').then(
          (r) => r.status === 200,
          () => false,
        );
        if (!ok) {
          failures++;
          gapStart ||= at;
        } else if (gapStart) {
          longestGap = Math.max(longestGap, Date.now() - gapStart);
          gapStart = 0;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const result = await install(t.ctx, argv(upgradeArchive));
    probing = false;
    await probe;
    assert.equal(result.code, 0, result.error?.message);
    assert.equal(result.summary?.action, 'upgrade');
    assert.equal(inspect(t.name).Config.Image, `${t.name}:99.0.0-test`);
    assert.deepEqual(readFileSync(join(t.ctx.paths.configDir, '.env')), envBefore);
    assert.ok(exists(oldImage), 'the previous image is kept for a manual rollback');
    await assertHealthyInstall(t, port);
    ctx.diagnostic(
      `upgrade took ${result.summary?.durationMs} ms; /ping downtime ${longestGap} ms (${failures} failed probes)`,
    );
  });

  test('SIGINT while the new container is being health-checked rolls back to the serving one (exit 130)', async () => {
    const before = inspect(t.name).Id;
    const envBefore = readFileSync(join(t.ctx.paths.configDir, '.env'));
    const run = runChild(t, argv(RELEASE_ARCHIVE, '--force'), /\[10\/12\] Starting the container/, 'SIGINT');
    assert.equal(await run.code, 130, run.output());
    assert.match(run.output(), /SIGINT received: stopping and rolling back/);
    assert.match(run.output(), /Rollback complete/);
    assert.equal(inspect(t.name).Id, before);
    assert.deepEqual(readFileSync(join(t.ctx.paths.configDir, '.env')), envBefore);
    await assertHealthyInstall(t, port);
  });

  test('SIGKILL during the image build, then a re-run ends healthy', async () => {
    const run = runChild(t, argv(RELEASE_ARCHIVE, '--force'), /\[8\/12\] Writing the configuration/, 'SIGKILL');
    assert.equal(await run.code, null);
    const again = await install(t.ctx, argv(RELEASE_ARCHIVE));
    assert.equal(again.code, 0, again.error?.message);
    await assertHealthyInstall(t, port);
  });

  test('SIGKILL after the old container was stopped and renamed, then a re-run restores and ends healthy', async () => {
    const run = runChild(t, argv(upgradeArchive, '--force'), /\[10\/12\] Starting the container/, 'SIGKILL');
    assert.equal(await run.code, null);
    assert.ok(exists(`${t.name}-previous`), 'the kill left the old container under its temporary name');
    const again = await install(t.ctx, argv(upgradeArchive));
    assert.equal(again.code, 0, again.error?.message);
    assert.match(again.stdout, /Looking for an interrupted earlier run — (restored|removed)/);
    await assertHealthyInstall(t, port);
  });
});
