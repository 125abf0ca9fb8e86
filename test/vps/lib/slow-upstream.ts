// The load an upgrade on a VPS must not disturb: a mock OpenAI upstream in the test process that
// streams one event every 500 ms, added to the installed proxy's providers, and the request mix
// the test process sends to the VPS's own address and published port (the path a real client
// takes: the VPS's engine forwards the port to the holder). The installed proxy reaches the mock
// the way it reaches a real provider: out of its container through the VPS's docker0 and NAT,
// to the host's address on the bridge the VPS is attached to.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startOpenAIMock } from '../../mocks/openai.ts';
import type { MockUpstream } from '../../mocks/server.ts';
import type { LoadRequest } from './load.ts';
import { dockerOk } from './run.ts';
import type { Vps } from './vps.ts';
import { authToken } from './installed.ts';
import { addProvider } from './upstream.ts';

/** one streamed event per word, every 500 ms: a 26-word answer streams for about 13 s */
export const EVENT_DELAY_MS = 500;
const STREAM_WORDS = 26;
const PROVIDER = 'slow';
const MODEL = 'gpt-slow';
/** the response header that names the proxy instance (the container) that answered */
export const INSTANCE_HEADER = 'x-ai-proxy-instance';

export interface SlowUpstream {
  /** the VPS's address on the host's bridge: where the test process sends the load */
  host: string;
  port: number;
  /** a plain answer, a 13 s stream, a health answer that names its proxy, a 13 s stream */
  mix: LoadRequest[];
  mock: MockUpstream;
}

const upstreams = new Map<Vps, SlowUpstream>();

/** The VPS container's address and its gateway (this host) on the bridge it is attached to. */
export async function bridgeAddresses(vps: Vps): Promise<{ address: string; gateway: string }> {
  const r = await dockerOk(['inspect', '--format', '{{json .NetworkSettings.Networks}}', vps.name]);
  const networks = JSON.parse(r.stdout) as Record<string, { IPAddress?: string; Gateway?: string }>;
  const attached = Object.values(networks).find((n) => n.IPAddress && n.Gateway);
  assert.ok(attached?.IPAddress && attached.Gateway, `${vps.name} has no address on a bridge: ${r.stdout}`);
  return { address: attached.IPAddress, gateway: attached.Gateway };
}

function post(host: string, port: number, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host, port, method: 'POST', path: '/v1/chat/completions', headers, timeout: 10_000 });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * Starts the slow upstream, adds it to provider-config.yaml as an operator edits the file (in
 * place: owner and mode kept) and reloads the proxy with SIGHUP, as docs/upgrade.md tells
 * operators to; waits until a request through the published port reaches it.
 */
export async function addSlowUpstream(vps: Vps, port: number): Promise<SlowUpstream> {
  const { address, gateway } = await bridgeAddresses(vps);
  const mock = await startOpenAIMock({ host: gateway, port: 0, record: false, eventDelayMs: EVENT_DELAY_MS });
  try {
    await addProvider(vps, {
      name: PROVIDER,
      type: 'openai-compatible',
      base_url: `http://${gateway}:${mock.port}/v1`,
      api_key: 'slow-upstream-key',
      models: [MODEL],
    });
    await vps.execOk('docker kill --signal HUP ai-proxy >/dev/null');

    const headers = { authorization: `Bearer ${await authToken(vps)}`, 'content-type': 'application/json' };
    const body = (stream: boolean, content: string) =>
      JSON.stringify({ model: `${PROVIDER}/${MODEL}`, stream, messages: [{ role: 'user', content }] });
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await post(address, port, headers, body(false, 'ready?'));
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, `the slow upstream is not reachable through ${address}:${port} (last status ${status})`);
    const words = Array.from({ length: STREAM_WORDS }, (_, i) => `w${i}`).join(' ');
    const stream: LoadRequest = {
      method: 'POST',
      path: '/v1/chat/completions',
      headers,
      body: body(true, words),
      streamEnd: 'data: [DONE]',
    };
    const mix: LoadRequest[] = [
      { method: 'POST', path: '/v1/chat/completions', headers, body: body(false, 'hello') },
      stream,
      { method: 'GET', path: '/health/live' },
      stream,
    ];
    const upstream = { host: address, port, mix, mock };
    upstreams.set(vps, upstream);
    return upstream;
  } catch (error) {
    await mock.close();
    throw error;
  }
}

export function slowUpstream(vps: Vps): SlowUpstream {
  const upstream = upstreams.get(vps);
  assert.ok(upstream, `${vps.name}: no slow upstream was added (addSlowUpstream in the setup)`);
  return upstream;
}

/** Stops the mock of every VPS (the VPSes themselves are removed by their scenarios). */
export async function closeSlowUpstreams(): Promise<void> {
  const all = [...upstreams.values()];
  upstreams.clear();
  await Promise.all(all.map((u) => u.mock.close()));
}
