// Upgrades through the real installer under a steady load from a client that never retries: a
// request every 50 ms, half of them streams that last longer than Docker's 10 s stop timeout,
// through a mock upstream that sends one event every 500 ms. The new proxy starts beside the old
// one in the holder's namespace and takes over once it serves; the old one drains (with
// --drain-timeout the installer waits for it). Nothing fails, no stream is cut. A release that
// never becomes healthy is rolled back (exit 13) under the same load, again without a failure:
// the old proxy was never signalled.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { describeLoad, failedCount, Load, type LoadReport, type LoadRequest } from '../vps/lib/load.ts';
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
  type RunResult,
  type TestInstall,
} from './lib/harness.ts';
import { archiveWithVersion, brokenArchive } from './lib/variant.ts';
import Docker from 'dockerode';
import { Containers } from '../../installer/engine/containers.ts';
import { lastDrainLine } from '../../installer/steps/drain-status.ts';

const reason = skipReason();
/** one streamed event per word, every 500 ms: a 26-word answer streams for about 13 s */
const EVENT_DELAY_MS = 500;
const STREAM_WORDS = 26;
const RATE = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Both output streams of a container's log. */
function containerLog(name: string): string {
  const out = spawnSync('docker', ['logs', name], { encoding: 'utf8' });
  return `${out.stdout}${out.stderr}`;
}

describe('upgrades under load with no failed request and no cut stream', { skip: reason ?? false }, () => {
  let t: TestInstall;
  let port: number;
  let mock: MockUpstream;
  let mix: LoadRequest[];
  const argv = (archive: string, ...extra: string[]) => [
    '--archive',
    archive,
    '--yes',
    '--port',
    String(port),
    ...extra,
  ];

  /** Runs the installer while the load runs: 3 s of load before, 2 s after. */
  async function underLoad(args: string[]): Promise<{ result: RunResult; report: LoadReport }> {
    const load = Load.start({ host: '127.0.0.1', port, ratePerSecond: RATE, mix });
    await sleep(3000);
    const result = await install(t.ctx, args);
    await sleep(2000);
    return { result, report: await load.stop() };
  }

  before(async () => {
    t = newInstall();
    port = await freePort();
    const first = await install(t.ctx, argv(RELEASE_ARCHIVE));
    assert.equal(first.code, 0, first.error?.message);
    // An operator's restart, as docs once advised after a provider edit: the proxy's log keeps
    // the drain of that stop, which the hand-over must not take for the drain it starts.
    docker(['restart', t.name]);
    for (let i = 0; inspect(t.name).State.Health?.Status !== 'healthy'; i++) {
      assert.ok(i < 150, 'the restarted proxy did not become healthy within 30 s');
      await sleep(200);
    }
    // the proxy reaches this process on the default bridge's gateway, this host's own address
    const gateway = docker(['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Gateway}}']);
    mock = await startOpenAIMock({ host: gateway, port: 0, record: false, eventDelayMs: EVENT_DELAY_MS });
    // the installed file keeps its owner and mode: only its content changes, then a reload
    writeFileSync(
      join(t.ctx.paths.configDir, 'provider-config.yaml'),
      [
        'providers:',
        '  - name: slow',
        '    type: openai-compatible',
        `    base_url: http://${gateway}:${mock.port}/v1`,
        '    api_key: slow-upstream-key',
        '    models: [gpt-slow]',
        '',
      ].join('\n'),
    );
    docker(['kill', '--signal', 'HUP', t.name]);
    const headers = { authorization: `Bearer ${tokenOf(t.ctx)}`, 'content-type': 'application/json' };
    const body = (stream: boolean, content: string) =>
      JSON.stringify({ model: 'slow/gpt-slow', stream, messages: [{ role: 'user', content }] });
    const words = Array.from({ length: STREAM_WORDS }, (_, i) => `w${i}`).join(' ');
    mix = [
      { method: 'POST', path: '/v1/chat/completions', headers, body: body(false, 'hello') },
      { method: 'POST', path: '/v1/chat/completions', headers, body: body(true, words), streamEnd: 'data: [DONE]' },
    ];
    for (let i = 0; ; i++) {
      const answer = await get(port, '/v1/chat/completions', headers, body(false, 'ready?')).catch(() => undefined);
      if (answer?.status === 200) break;
      assert.ok(i < 50, `the reloaded provider does not answer: ${answer?.status} ${answer?.text}`);
      await sleep(200);
    }
  });
  after(async () => {
    t?.cleanup();
    await mock?.close();
  });

  test("what the hand-over reads of a proxy's drain is its current life's: the restart's drain is not", async () => {
    const containers = new Containers(new Docker());
    assert.equal(lastDrainLine(await containers.logsTail(t.name, 1000))?.msg, 'drained', 'the log keeps the restart');
    assert.equal(lastDrainLine(await containers.logsSinceStart(t.name, 1000)), undefined);
  });

  test('an upgrade with --drain-timeout: the old proxy finishes its streams, the installer waits for it', async (ctx) => {
    const old = inspect(t.name);
    const holder = inspect(`${t.name}-holder`);
    const target = archiveWithVersion(RELEASE_ARCHIVE, '99.0.0-zd', t.root);
    const { result, report } = await underLoad(argv(target, '--drain-timeout', '120'));
    assert.equal(result.code, 0, `${result.error?.message}\n${result.stdout}`);
    assert.equal(result.summary?.action, 'upgrade');
    const draining = `${t.name}-draining-${old.Id.slice(0, 12)}`;
    assert.match(
      result.stdout,
      new RegExp(`the old one drains as ${draining}: \\d+ requests? \\(\\d+ streams?\\) still open`),
    );
    assert.match(result.stdout, /Waiting for the old container to drain — .* exited with code 0 after/);
    assert.ok(!exists(draining), 'the drained container is removed');
    assert.match(readFileSync(join(t.ctx.paths.configDir, '.env'), 'utf8'), /^DRAIN_TIMEOUT=120$/m);

    const now = inspect(t.name);
    assert.equal(now.Config.Image, `${t.name}:99.0.0-zd`);
    assert.equal(inspect(`${t.name}-holder`).Id, holder.Id, 'the holder is kept across upgrades');
    assert.equal(now.HostConfig.NetworkMode, `container:${holder.Id}`);
    assert.deepEqual(now.HostConfig.PortBindings ?? {}, {}, 'only the holder publishes');

    ctx.diagnostic(`upgrade under load: ${describeLoad(report)}; installer ${result.summary?.durationMs} ms`);
    assert.equal(failedCount(report), 0, `${describeLoad(report)}: ${report.examples.join('; ')}`);
    assert.equal(report.streams.cut, 0);
    assert.ok(report.streams.finished > 20, `only ${report.streams.finished} streams finished`);
    assert.ok(report.streams.longestMs > 10_000, "the streams outlast Docker's 10 s stop timeout");
  });

  test('a release that never becomes healthy: exit 13, the old proxy never signalled, no client sees it', async (ctx) => {
    const old = inspect(t.name);
    const target = brokenArchive(RELEASE_ARCHIVE, '99.1.0-broken', t.root);
    const { result, report } = await underLoad(argv(target));
    assert.equal(result.code, 13, result.stdout);
    assert.match(result.error?.message ?? '', /failed its health check/);
    assert.equal(inspect(t.name).Id, old.Id, 'the same container serves');
    assert.doesNotMatch(containerLog(t.name), /"msg":"draining/, 'the old proxy was never told to drain');
    assert.ok(!exists(`${t.name}-next`), 'the new container is removed');
    assert.equal((await get(port, '/ping')).status, 200);

    ctx.diagnostic(`failed upgrade under load: ${describeLoad(report)}`);
    assert.equal(failedCount(report), 0, `${describeLoad(report)}: ${report.examples.join('; ')}`);
    assert.equal(report.streams.cut, 0);
  });
});
