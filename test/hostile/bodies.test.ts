// Attacks with a valid token: request bodies built to cost memory (values that expand ~25x
// when parsed, deep nesting, many large bodies at once), bodies over the limit, and a giant
// model name. Memory stays inside the proxy's budget, answers are statuses a client can read.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { round1, underAttack } from './lib/attack.ts';
import { preconditions } from './lib/executable.ts';
import { MiB, TOKEN } from './lib/proxy.ts';
import { flood, post } from './lib/raw-http.ts';

const { skip, executable } = preconditions();
const auth = { authorization: `Bearer ${TOKEN}` };
/** The default server.max_body_bytes. */
const LIMIT = 10 * MiB;
/** Idle ~55 MiB + the request memory budget (128 MiB) + the young generation and slack. */
const PEAK_RSS_MIB = 300;

/** A chat request of about `size` bytes whose messages are `[{},{},...]`. */
function emptyObjects(size: number): string {
  const head = '{"model":"echo","messages":[';
  const n = Math.floor((size - head.length - 2) / 3);
  return `${head}${'{},'.repeat(n - 1)}{}]}`;
}

/** A chat request with one user message of `size` bytes of words. */
function bigText(size: number): string {
  return JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'lorem ipsum '.repeat(size / 12) }] });
}

function requestsWithStatus(metrics: string, status: number): number {
  let n = 0;
  for (const m of metrics.matchAll(
    new RegExp(`^aiproxy_requests_total\\{[^}]*status="${status}"[^}]*\\} (\\d+)`, 'gm'),
  ))
    n += Number(m[1]);
  return n;
}

describe('hostile: request bodies', { skip }, () => {
  let bin: string;
  before(async () => {
    bin = await executable();
  });

  it('three 10 MiB bodies of empty objects at once', async (t) => {
    await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB }, async (proxy) => {
      const body = emptyObjects(LIMIT - 1024);
      const r = await flood(proxy.port, 3, 3, () => post('/v1/chat/completions', body, auth));
      assert.equal(r.statuses[413], 3, `each is refused before it is parsed: ${JSON.stringify(r)}`);
      return { seconds: round1(r.seconds) };
    });
  });

  it('a body nested 100,000 levels deep', async (t) => {
    await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB }, async (proxy) => {
      const depth = 100_000;
      const body = `{"model":"echo","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const r = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: auth, body });
      const json = (await r.json()) as { error: { code: string } };
      assert.equal(r.status, 400);
      assert.equal(json.error.code, 'json_too_deep');
      return {};
    });
  });

  it('sixteen 9 MiB bodies at once', async (t) => {
    await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB }, async (proxy) => {
      const body = bigText(9 * MiB);
      const r = await flood(proxy.port, 16, 16, () => post('/v1/chat/completions', body, auth));
      const busy = r.statuses[503] ?? 0;
      assert.equal((r.statuses[200] ?? 0) + busy, 16, JSON.stringify(r));
      assert.ok(busy > 0, 'beyond the memory budget the proxy answers 503');
      assert.ok((r.statuses[200] ?? 0) > 0, 'what fits the budget is served');
      return { served: r.statuses[200] ?? 0, busy };
    });
  });

  it('bodies over the limit: the openai SDK reads the 413 and does not retry, fetch reads it too', async (t) => {
    await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB }, async (proxy) => {
      const client = new OpenAI({ apiKey: TOKEN, baseURL: `${proxy.url}/v1` }); // default: 2 retries
      const content = 'x'.repeat(3 * LIMIT);
      await assert.rejects(
        client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content }] }),
        (e: unknown) => {
          assert.ok(e instanceof OpenAI.APIError, `an APIError, not ${String(e)}`);
          assert.equal(e.status, 413);
          assert.match(e.message, /exceeds the limit of 10485760 bytes/);
          return true;
        },
      );
      assert.equal(requestsWithStatus(await proxy.metrics(), 413), 1, 'the SDK sent the request once');
      const big = Buffer.alloc(4 * LIMIT, 'x');
      let answered = 0;
      for (let i = 0; i < 6; i++) {
        const r = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: big });
        assert.equal(r.status, 413);
        await r.arrayBuffer();
        answered++;
      }
      return { fetchAnswered: answered };
    });
  });

  it('a 9 MiB model name', async (t) => {
    let responseBytes = 0;
    const { figures } = await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB }, async (proxy) => {
      const body = JSON.stringify({ model: 'm'.repeat(9 * MiB), messages: [{ role: 'user', content: 'hi' }] });
      const r = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: auth, body });
      assert.equal(r.status, 404);
      responseBytes = (await r.arrayBuffer()).byteLength;
      return { responseBytes };
    });
    assert.ok(figures.longestLogLine <= 4096, `a log line of ${figures.longestLogLine} bytes`);
    assert.ok(responseBytes <= 4096, `an error answer of ${responseBytes} bytes`);
  });
});
