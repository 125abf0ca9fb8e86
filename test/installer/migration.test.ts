// An installation from before the holder (one container publishing the port itself) is moved to
// the holder by the next run: one short gap, once; a failure on the way puts the old container
// back as it was; a SIGKILL on the way is finished by the next run.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
import { startPingProbe } from './lib/ping-probe.ts';
import { interruptAt } from './lib/interrupt.ts';
import { makePreHolder } from './lib/pre-holder.ts';
import { stepNumber } from './lib/steps.ts';

const reason = skipReason();
/** one stop and one start on a shared, maybe loaded engine: generous, it never flakes */
const GAP_BOUND_MS = 15_000;

describe('moving an installation without a holder to the holder', { skip: reason ?? false }, () => {
  let t: TestInstall;
  let port: number;
  const argv = (...extra: string[]) => ['--archive', RELEASE_ARCHIVE, '--yes', '--port', String(port), ...extra];

  async function assertOnHolder(): Promise<void> {
    const proxy = inspect(t.name);
    const holder = inspect(`${t.name}-holder`);
    assert.equal(proxy.State.Health.Status, 'healthy');
    assert.equal(proxy.HostConfig.NetworkMode, `container:${holder.Id}`);
    assert.deepEqual(Object.keys(holder.HostConfig.PortBindings), [`${port}/tcp`]);
    assert.equal((await get(port, '/ping')).status, 200);
    for (const left of ['-previous', '-next', '-holder-previous'])
      assert.ok(!exists(`${t.name}${left}`), `${t.name}${left} left`);
  }

  before(async () => {
    t = newInstall();
    port = await freePort();
    const first = await install(t.ctx, argv());
    assert.equal(first.code, 0, first.error?.message);
  });
  after(() => t?.cleanup());

  test('a new proxy that never becomes healthy: exit 13, the old container serves again as it was', async () => {
    const old = await makePreHolder(t, port);
    const result = await install(t.ctx, argv('--health-timeout', '1'));
    assert.equal(result.code, 13, result.stdout);
    const info = inspect(t.name);
    assert.equal(info.Id, old, 'the old container has its name back');
    assert.equal(info.State.Health.Status, 'healthy');
    assert.equal(info.HostConfig.NetworkMode, 'bridge');
    assert.equal((await get(port, '/ping')).status, 200);
    for (const left of ['-previous', '-next', '-holder'])
      assert.ok(!exists(`${t.name}${left}`), `${t.name}${left} left`);
  });

  test('the same archive again moves it: one short gap, then the proxy joined to the holder', async (ctx) => {
    const probe = startPingProbe(port);
    const result = await install(t.ctx, argv());
    const { failures, longestGapMs: longestGap } = await probe.stop();
    assert.equal(result.code, 0, result.error?.message);
    assert.equal(result.summary?.action, 'reconfigure', 'the container settings changed: the holder');
    assert.match(result.stdout, /one short gap/);
    await assertOnHolder();
    ctx.diagnostic(`move to the holder: /ping down ${longestGap} ms (${failures} failed probes)`);
    assert.ok(longestGap <= GAP_BOUND_MS, `/ping was down ${longestGap} ms, bound ${GAP_BOUND_MS} ms`);
  });

  test('SIGKILL while the port moves (old one stopped, holder created), then a re-run ends on the holder', async () => {
    await makePreHolder(t, port);
    const step = stepNumber('Starting the container');
    const run = await interruptAt(t, argv(), {
      step,
      signal: 'SIGKILL',
      until: () => exists(`${t.name}-holder`),
    });
    assert.equal(run.killedBy, 'SIGKILL', run.output);
    assert.equal(run.lastStarted, step, `the kill landed in step ${run.lastStarted}:\n${run.log}`);
    assert.ok(exists(`${t.name}-previous`), 'the old container was moved away');
    const again = await install(t.ctx, argv());
    assert.equal(again.code, 0, again.error?.message);
    assert.match(again.stdout, /Looking for an interrupted earlier run — .*restored/);
    await assertOnHolder();
  });
});
