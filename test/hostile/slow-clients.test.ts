// Clients that ask for a large answer and then stop reading it. Whatever they asked for, the
// proxy holds no more than its budget for them and lets them go after server.write_timeout.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { round1, underAttack } from './lib/attack.ts';
import { preconditions } from './lib/executable.ts';
import { MiB, type Proxy, TOKEN } from './lib/proxy.ts';
import { nonReader, post } from './lib/raw-http.ts';

const { skip, executable } = preconditions();
const auth = { authorization: `Bearer ${TOKEN}` };
const WRITE_TIMEOUT_S = 3;
const server = [`  write_timeout: ${WRITE_TIMEOUT_S}`];
// Generous: a loaded CI machine parses ten 9 MiB bodies slowly; a proxy without the write
// timeout never settles at all, which is what these bounds catch.
const SETTLE_S = 60;

function chat(content: string, stream: boolean): string {
  return JSON.stringify({ model: 'echo', stream, messages: [{ role: 'user', content }] });
}

/** The requests the proxy still has in progress, from its own gauge. */
async function activeRequests(proxy: Proxy): Promise<number> {
  const m = /^aiproxy_active_requests (\d+)/m.exec(await proxy.metrics());
  return Number(m?.[1] ?? Number.NaN) - 1; // minus this scrape
}

/** Waits until only the scrape itself is in progress; returns the seconds it took. */
async function settled(proxy: Proxy, withinS: number): Promise<number> {
  const start = performance.now();
  while ((await activeRequests(proxy)) > 0) {
    if (performance.now() - start > withinS * 1000) return Number.POSITIVE_INFINITY;
    await new Promise((r) => setTimeout(r, 250));
  }
  return (performance.now() - start) / 1000;
}

describe('hostile: clients that stop reading', { skip }, () => {
  let bin: string;
  before(async () => {
    bin = await executable();
  });

  it('a streamed echo of 2 MiB of short words to a client that never reads', async (t) => {
    await underAttack(t, bin, { peakRssMiB: 100, server }, async (proxy) => {
      const client = nonReader(proxy.port, post('/v1/chat/completions', chat('ab '.repeat((2 * MiB) / 3), true), auth));
      await new Promise((r) => setTimeout(r, 1000));
      const cutAfter = await settled(proxy, SETTLE_S);
      client.destroy();
      assert.ok(cutAfter <= SETTLE_S, 'the stream was cut after write_timeout');
      return { cutAfterS: round1(cutAfter + 1) };
    });
  });

  it('ten 9 MiB JSON answers to clients that never read', async (t) => {
    await underAttack(t, bin, { peakRssMiB: 300, server }, async (proxy) => {
      const request = post('/v1/chat/completions', chat('lorem ipsum '.repeat((9 * MiB) / 12), false), auth);
      const clients = Array.from({ length: 10 }, () => nonReader(proxy.port, request));
      await new Promise((r) => setTimeout(r, 1000));
      const cutAfter = await settled(proxy, SETTLE_S);
      for (const c of clients) c.destroy();
      assert.ok(cutAfter <= SETTLE_S, 'every answer was cut after write_timeout');
      return { cutAfterS: round1(cutAfter + 1) };
    });
  });
});
