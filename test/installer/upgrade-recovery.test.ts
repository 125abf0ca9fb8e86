// Upgrade to another release while a probe loop asks /ping every 20 ms: the new proxy takes over
// the holder's port beside the old one, so no probe fails. Then a SIGKILL between the next
// upgrade's hand-over and the end of the old proxy's drain, which the next run finds and turns
// into a healthy installation with the old proxy accounted for. Every step's SIGINT and SIGKILL on a reinstall: interruptions.test.ts;
// the same under a load with long streams: zero-downtime.test.ts.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  docker,
  exists,
  freePort,
  get,
  inspect,
  install,
  newInstall,
  RELEASE_ARCHIVE,
  skipReason,
  tokenOf,
  type TestInstall,
} from './lib/harness.ts';
import { archiveWithVersion } from './lib/variant.ts';
import { startPingProbe } from './lib/ping-probe.ts';
import { interruptAt } from './lib/interrupt.ts';
import { stepNumber } from './lib/steps.ts';

const reason = skipReason();

/** Both output streams of a container's log. */
function containerLog(name: string): string {
  const out = spawnSync('docker', ['logs', name], { encoding: 'utf8' });
  return `${out.stdout}${out.stderr}`;
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

  test('upgrade to another release: configuration kept, previous image kept, no failed probe', async (ctx) => {
    const envBefore = readFileSync(join(t.ctx.paths.configDir, '.env'));
    const oldImage = inspect(t.name).Image;
    const probe = startPingProbe(port);
    const result = await install(t.ctx, argv(upgradeArchive));
    const { failures, longestGapMs: longestGap } = await probe.stop();
    assert.equal(result.code, 0, result.error?.message);
    assert.equal(result.summary?.action, 'upgrade');
    assert.equal(inspect(t.name).Config.Image, `${t.name}:99.0.0-test`);
    assert.deepEqual(readFileSync(join(t.ctx.paths.configDir, '.env')), envBefore);
    assert.ok(exists(oldImage), 'the previous image is kept for a manual rollback');
    await assertHealthyInstall(t, port);
    ctx.diagnostic(
      `upgrade took ${result.summary?.durationMs} ms; /ping downtime ${longestGap} ms (${failures} failed probes)`,
    );
    // The new proxy serves beside the old one before the old one stops accepting: no gap at all.
    assert.equal(failures, 0, `${failures} probes failed, /ping was down ${longestGap} ms`);
  });

  test("SIGKILL between the hand-over and the end of the old proxy's drain, then a re-run ends healthy", async () => {
    const handOver = stepNumber('Handing over to the new container');
    const old = inspect(t.name).Id;
    const draining = `${t.name}-draining-${old.slice(0, 12)}`;
    // --drain-timeout: the installer waits for the old proxy after the hand-over (its 5 s idle
    // grace at least), so the kill, sent once the old proxy has been renamed, lands in one of them
    const run = await interruptAt(t, argv(upgradeArchive, '--force', '--drain-timeout', '60'), {
      step: handOver,
      signal: 'SIGKILL',
      until: () => exists(draining),
    });
    assert.equal(run.killedBy, 'SIGKILL', run.output);
    assert.ok(
      run.lastStarted === handOver || run.lastStarted === handOver + 1,
      `the kill landed in step ${run.lastStarted}, not in the hand-over or the drain wait`,
    );
    assert.equal(run.lastEnded, false, `step ${run.lastStarted} had finished before the kill`);
    assert.ok(exists(draining), 'the kill left the old proxy under its draining name');
    const again = await install(t.ctx, argv(upgradeArchive));
    assert.equal(again.code, 0, again.error?.message);
    await assertHealthyInstall(t, port);
    // the old proxy is accounted for: told to drain (by the killed run or the recovery), or gone
    if (exists(draining)) assert.match(containerLog(draining), /"msg":"draining/);
    assert.notEqual(inspect(t.name).Id, old);
  });

  test('a stop the killed run had sent is still under way: the re-run waits for it and ends serving', async () => {
    // A request whose body never ends keeps the old proxy draining after its SIGTERM, while Docker
    // still reports it running and healthy: the state a run killed just after asking the engine
    // to stop the old container leaves behind.
    const held = connect(port, '127.0.0.1');
    await once(held, 'connect');
    held.on('error', () => undefined);
    held.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${tokenOf(t.ctx)}\r\n` +
        'content-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":',
    );
    await new Promise((r) => setTimeout(r, 300));
    docker(['rename', t.name, `${t.name}-previous`]);
    docker(['kill', '--signal', 'TERM', `${t.name}-previous`]);
    assert.equal(inspect(`${t.name}-previous`).State.Health.Status, 'healthy', 'draining, still reported healthy');
    const again = await install(t.ctx, argv(upgradeArchive));
    assert.equal(again.code, 0, again.error?.message);
    assert.match(again.stdout, /Looking for an interrupted earlier run — restored/);
    // the drain ends as soon as its last request does: the container must outlive it
    held.destroy();
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(inspect(t.name).State.Running, true, 'the restored container still runs once its old drain ended');
    await assertHealthyInstall(t, port);
  });
});
