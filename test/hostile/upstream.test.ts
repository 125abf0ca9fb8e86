// A hostile or broken upstream: an SSE line that never ends, a 600 MB JSON answer. The proxy
// stops reading at its caps, answers the client 502 with the reason, and frees the memory.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { round1, underAttack } from './lib/attack.ts';
import { preconditions } from './lib/executable.ts';
import { MiB, TOKEN } from './lib/proxy.ts';

const { skip, executable } = preconditions();
/** Idle ~55 MiB + one buffered answer at its cap (64 MiB) + the young generation and slack. */
const PEAK_RSS_MIB = 200;

describe('hostile: upstreams', { skip }, () => {
  let bin: string;
  let upstream: MockUpstream;
  before(async () => {
    bin = await executable();
    upstream = await startOpenAIMock();
  });
  after(() => upstream.close());

  const client = (url: string) => new OpenAI({ apiKey: TOKEN, baseURL: `${url}/v1`, maxRetries: 0, timeout: 20_000 });

  it('an SSE event whose line never ends', async (t) => {
    await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB, upstreamUrl: upstream.url }, async (proxy) => {
      upstream.script({ kind: 'endless-line' });
      const t0 = performance.now();
      await assert.rejects(
        async () => {
          const stream = await client(proxy.url).chat.completions.create({
            model: 'up',
            stream: true,
            messages: [{ role: 'user', content: 'hi' }],
          });
          for await (const _ of stream);
        },
        (e: unknown) => {
          assert.ok(e instanceof OpenAI.APIError, String(e));
          assert.equal(e.status, 502);
          assert.match(e.message, /max_event_bytes/);
          return true;
        },
      );
      assert.ok(await upstream.waitForAbort(upstream.requests.length - 1, 5000), 'the upstream request was cancelled');
      return {
        seconds: round1((performance.now() - t0) / 1000),
        upstreamSentMiB: round1(upstream.requests.at(-1)!.flooded / MiB),
      };
    });
  });

  it('a 600 MB JSON answer', async (t) => {
    await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB, upstreamUrl: upstream.url }, async (proxy) => {
      upstream.script({ kind: 'huge', bytes: 600 * 1000 * 1000 });
      const t0 = performance.now();
      await assert.rejects(
        client(proxy.url).chat.completions.create({ model: 'up', messages: [{ role: 'user', content: 'hi' }] }),
        (e: unknown) => {
          assert.ok(e instanceof OpenAI.APIError, String(e));
          assert.equal(e.status, 502);
          assert.match(e.message, /max_response_bytes/);
          return true;
        },
      );
      assert.ok(await upstream.waitForAbort(upstream.requests.length - 1, 5000), 'the upstream request was cancelled');
      return {
        seconds: round1((performance.now() - t0) / 1000),
        upstreamSentMiB: round1(upstream.requests.at(-1)!.flooded / MiB),
      };
    });
  });
});
