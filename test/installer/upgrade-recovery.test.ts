// Upgrade to another release while a probe loop measures downtime (asserted with a generous
// bound; BENCHMARKS.md has the precise figure from the VPS suite), then a SIGKILL in the middle of
// the next upgrade, which the next run finds and turns into a healthy installation. Every step's
// SIGINT and SIGKILL on a reinstall: interruptions.test.ts.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
import { interruptAt } from './lib/interrupt.ts';
import { stepNumber } from './lib/steps.ts';

const reason = skipReason();
const UPGRADE_GAP_BOUND_MS = 15_000;

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
    // One stop plus one start, on a shared engine that may be loaded (5.0 s seen at load 15 on 2
    // cores, ~1.5 s when quiet): generous so it never flakes; it catches an upgrade that leaves
    // the port dead for a build or a failed start. The precise figure: bench/upgrade.ts.
    assert.ok(longestGap <= UPGRADE_GAP_BOUND_MS, `/ping was down ${longestGap} ms, bound ${UPGRADE_GAP_BOUND_MS} ms`);
  });

  test('SIGKILL mid-upgrade, the old container renamed away, then a re-run restores and ends healthy', async () => {
    const step = stepNumber('Starting the container');
    const run = await interruptAt(t, argv(upgradeArchive, '--force'), {
      step,
      signal: 'SIGKILL',
      until: () => exists(`${t.name}-previous`),
    });
    assert.equal(run.killedBy, 'SIGKILL', run.output);
    assert.equal(run.lastStarted, step, `the kill landed in step ${run.lastStarted}, not in "Starting the container"`);
    assert.equal(run.lastEnded, false, `step ${step} had finished before the kill`);
    assert.ok(exists(`${t.name}-previous`), 'the kill left the old container under its temporary name');
    const again = await install(t.ctx, argv(upgradeArchive));
    assert.equal(again.code, 0, again.error?.message);
    assert.match(again.stdout, /Looking for an interrupted earlier run — (restored|removed)/);
    await assertHealthyInstall(t, port);
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
