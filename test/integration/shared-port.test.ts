// Two real proxy processes in the shared-network mode (AI_PROXY_SHARED_NETWORK=1), as the
// installer runs an old and a new one beside each other: one port for both, a health check
// that asks its own proxy only, and a hand-over by SIGTERM that fails no request and cuts no
// stream; the drain limit read from .env at SIGTERM time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { Load, type LoadRequest, failedCount } from '../vps/lib/load.ts';
import { openaiProvider, type ProxyProcess, startProxyProcess, TOKEN, writeConfigDir } from './harness.ts';
import { freePort } from '../lib/free-port.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
const shared = (instance: string) => ({ AI_PROXY_SHARED_NETWORK: '1', AI_PROXY_INSTANCE: instance });

/** A port nobody listens on right now (the shared one must be named by both proxies). */

function healthcheck(dir: string, instance: string): number | null {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'healthcheck', '--config-dir', dir], {
    env: { PATH: process.env.PATH ?? '', ...shared(instance) },
    timeout: 20_000,
  }).status;
}

async function answeredBy(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { headers: { connection: 'close' } });
  await res.arrayBuffer();
  return res.headers.get('x-ai-proxy-instance') ?? '';
}

describe('two proxies sharing a port', { timeout: 120_000 }, () => {
  let mock: MockUpstream;
  let dir: string;
  let port: number;
  let consolePort: number;
  let old: ProxyProcess;
  let next: ProxyProcess;

  before(async () => {
    // one streamed event every 200 ms: a 15-word answer is open for about 3 s
    mock = await startOpenAIMock({ eventDelayMs: 200, record: false });
    consolePort = await freePort();
    // the console's own port is opened by both proxies as well
    dir = writeConfigDir(
      `providers:\n${openaiProvider('slow', mock.url, '    models: [gpt-slow]\n')}`,
      `CONSOLE_PORT=${consolePort}\n`,
    );
    port = await freePort();
    old = await startProxyProcess(dir, ['--port', String(port)], shared('old'));
    next = await startProxyProcess(dir, ['--port', String(port)], shared('new'));
  });

  after(async () => {
    for (const p of [old, next]) if (p?.child.exitCode === null) p.child.kill('SIGKILL');
    await mock?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('both listen on the one port, and the kernel hands connections to both', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100 && seen.size < 2; i++) seen.add(await answeredBy(port));
    assert.deepEqual(seen, new Set(['old', 'new']));
  });

  it("the console's port is shared too: the second proxy started, both serve the console", async () => {
    for (const p of [old, next]) assert.equal(p.child.exitCode, null, 'both proxies run');
    const res = await fetch(`http://127.0.0.1:${consolePort}/console/`, { headers: { connection: 'close' } });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
  });

  it('each health check asks its own proxy, not the port', async () => {
    assert.equal(healthcheck(dir, 'old'), 0);
    assert.equal(healthcheck(dir, 'new'), 0);
    assert.equal(healthcheck(dir, 'gone'), 1, 'no proxy of that name: unhealthy, though the port answers');
  });

  it('hands over on SIGTERM: no request fails, no stream is cut, the old one exits 0', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const body = (stream: boolean) =>
      JSON.stringify({
        model: 'slow/gpt-slow',
        stream,
        messages: [{ role: 'user', content: 'a b c d e f g h i j k l m' }],
      });
    const mix: LoadRequest[] = [
      { method: 'POST', path: '/v1/chat/completions', headers, body: body(false) },
      { method: 'POST', path: '/v1/chat/completions', headers, body: body(true), streamEnd: 'data: [DONE]' },
    ];
    const load = Load.start({ host: '127.0.0.1', port, ratePerSecond: 20, mix });
    await new Promise((r) => setTimeout(r, 2000));
    old.child.kill('SIGTERM');
    assert.equal(await old.exited, 0);
    await new Promise((r) => setTimeout(r, 1000));
    const report = await load.stop();
    assert.equal(failedCount(report), 0, `failures: ${report.examples.join('; ')}`);
    assert.ok(report.streams.finished > 5, `only ${report.streams.finished} streams finished`);
    assert.match(old.stdout(), /"msg":"draining: stopped accepting"/);
    assert.match(old.stdout(), /"msg":"drained"/);
    assert.equal(await answeredBy(port), 'new');
  });

  it('drains within the limit written to .env after the start, cutting what is left', async () => {
    appendFileSync(join(dir, '.env'), 'DRAIN_TIMEOUT=1\n');
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'slow/gpt-slow',
        stream: true,
        messages: [{ role: 'user', content: Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ') }],
      }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    next.child.kill('SIGTERM');
    assert.equal(await next.exited, 0);
    assert.match(next.stdout(), /"msg":"draining","signal":"SIGTERM","limit_s":1/);
    assert.match(next.stdout(), /"msg":"drain limit reached: cutting what is still open".*"streams":1/);
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) throw new Error('the stream ended normally');
    });
  });
});
