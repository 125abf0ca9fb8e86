// The swarm as clients see it behind a load balancer (docs/scale-out.md, "The upgrade
// guarantee"): HAProxy on this host checks every node's /health/ready, and a client that never
// retries sends a steady load through it, half of it streams from a slow upstream that outlast
// Swarm's default 10 s stop timeout. During a rolling update, and during an update Swarm rolls
// back, no request may fail and no stream may be cut: each node leaves the balancer (it reports
// not ready for DRAIN_DELAY while still accepting) before it stops accepting, its streams run to
// their end within the stop grace period, and a new task counts only once ready.
import assert from 'node:assert/strict';
import { startOpenAIMock } from '../../mocks/openai.ts';
import type { MockUpstream } from '../../mocks/server.ts';
import { Balancer, CHECK, describeServers, type ServerStat } from '../lib/balancer.ts';
import { CONFIG_DIR } from '../lib/installed.ts';
import { Load, describeLoad, failedCount, type LoadReport } from '../lib/load.ts';
import type { SwarmVpses } from '../lib/swarm.ts';

const PORT = 8080;
const RATE = 10;
/** 24 words, one event each every 500 ms: a stream of ~12 s, longer than Swarm's default stop timeout */
const STREAM_WORDS = 24;
const EVENT_DELAY_MS = 500;
export const SLOW_MODEL = 'slow/gpt-slow';

let upstream: MockUpstream | undefined;

/**
 * The slow upstream in this process, on the host's address on the swarm network (the tasks reach
 * it through their node), and a provider file naming it beside the built-in echo provider, put in
 * /srv/ai-proxy on the manager before `--swarm init` as an operator brings their own.
 */
export async function provideSlowUpstream(cluster: SwarmVpses): Promise<void> {
  const host = `${cluster.subnet}.1`;
  upstream ??= await startOpenAIMock({ host, port: 0, record: false, eventDelayMs: EVENT_DELAY_MS });
  const yaml = [
    'providers:',
    '  - name: echo',
    '    type: echo',
    '    models: [echo]',
    '  - name: slow',
    '    type: openai-compatible',
    `    base_url: http://${host}:${upstream.port}/v1`,
    '    api_key: slow-upstream-key',
    '    models: [gpt-slow]',
    '',
  ].join('\n');
  await cluster.manager.session.vps.execOk(`mkdir -p ${CONFIG_DIR} && cat > ${CONFIG_DIR}/provider-config.yaml`, {
    input: yaml,
  });
}

export async function closeSlowUpstream(): Promise<void> {
  await upstream?.close();
  upstream = undefined;
}

/** What clients behind the balancer saw while `during` ran, and what the balancer did. */
export interface Balanced<T> {
  value: T;
  load: LoadReport;
  servers: ServerStat[];
}

/**
 * Runs `during` with the balancer in front of every node and the load going through it: 2 s of
 * load before, until every stream sent has ended after (Load.stop waits for them).
 */
export async function throughBalancer<T>(
  cluster: SwarmVpses,
  token: string,
  during: () => Promise<T>,
): Promise<Balanced<T>> {
  const lb = await Balancer.start(cluster.nodes.map((n) => ({ ip: n.ip, port: PORT })));
  try {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const body = (stream: boolean, content: string) =>
      JSON.stringify({ model: SLOW_MODEL, stream, messages: [{ role: 'user', content }] });
    const words = Array.from({ length: STREAM_WORDS }, (_, i) => `w${i}`).join(' ');
    const load = Load.start({
      host: '127.0.0.1',
      port: lb.port,
      ratePerSecond: RATE,
      mix: [
        { method: 'POST', path: '/v1/chat/completions', headers, body: body(false, 'hello') },
        { method: 'POST', path: '/v1/chat/completions', headers, body: body(true, words), streamEnd: 'data: [DONE]' },
      ],
    });
    await new Promise((r) => setTimeout(r, 2000));
    let value: T;
    try {
      value = await during();
    } finally {
      // the last node back must be in the balancer again before the load ends: rise x inter
      await lb.waitAllUp(cluster.nodes.length, 60_000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const report = await load.stop();
    return { value, load: report, servers: await lb.servers() };
  } finally {
    await lb.stop();
  }
}

/** No client saw a failure: every request answered 200, every stream ended with [DONE]. */
export function assertNoClientFailure(b: Balanced<unknown>, what: string): void {
  const { load } = b;
  const failures = `${describeLoad(load)}; first failures: ${load.examples.join(' | ') || 'none'}`;
  assert.equal(failedCount(load), 0, `${what}: clients behind the load balancer saw failures: ${failures}`);
  assert.equal(load.streams.cut, 0, `${what}: streams were cut: ${failures}`);
  assert.ok(load.streams.finished >= 20, `${what}: only ${load.streams.finished} streams ran: ${failures}`);
  assert.ok(
    load.streams.longestMs >= STREAM_WORDS * EVENT_DELAY_MS,
    `${what}: the streams were not slow (${load.streams.longestMs} ms): not through the slow upstream`,
  );
}

/** "through HAProxy (checks every 1 s, out after 2): 0/812 failed ...; node1 out 1x ..." */
/** Every node's task was replaced, so the balancer took each out (it reported not ready) and back in. */
export function assertEveryNodeLeftAndCameBack(b: Balanced<unknown>): void {
  for (const s of b.servers) {
    assert.ok(s.downs >= 1, `${s.name}: the load balancer never took it out: ${JSON.stringify(b.servers)}`);
    assert.equal(s.status, 'UP', `${s.name}: not back in the load balancer: ${JSON.stringify(b.servers)}`);
  }
}

export function describeBalanced(b: Balanced<unknown>): string {
  return `through HAProxy (check every ${CHECK.interMs / 1000} s, out after ${CHECK.fall}, in after ${CHECK.rise}): ${describeLoad(b.load)}; ${describeServers(b.servers)}`;
}

/**
 * The bad update: the echo provider removed and OpenAI's uncommented without its key in .env.
 * The proxy starts and answers /health/live, but no provider is usable, so it is never ready.
 */
export const PROVIDER_WITHOUT_KEY = [
  'providers:',
  '  - name: openai',
  '    type: openai',
  '    api_key: ${OPENAI_API_KEY_NOT_SET}',
  '    models: [gpt-4o]',
  '',
].join('\n');
