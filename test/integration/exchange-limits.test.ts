// The caps on what an upstream can make the proxy hold, with undici's real Pool against the
// mock upstream: a buffered answer over max_response_bytes, an answer beyond the memory budget.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Charge, MemoryBudget } from '../../src/limits/budget.ts';
import { ClientAbort } from '../../src/upstream/abort.ts';
import { exchange, UpstreamAnswerTooLarge, type UpstreamCall } from '../../src/upstream/exchange.ts';
import { Pool } from '../../src/upstream/undici-lite.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';

const MiB = 1024 * 1024;

describe('exchange: caps on a buffered answer', () => {
  let upstream: MockUpstream;
  let pool: Pool;
  before(async () => {
    upstream = await startOpenAIMock();
    pool = new Pool(upstream.url, { connections: null });
  });
  after(async () => {
    await pool.destroy();
    await upstream.close();
  });

  const call: UpstreamCall = {
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    stream: false,
  };

  it('cuts an answer over maxBytes, cancels it upstream and gives its memory back', async () => {
    upstream.script({ kind: 'huge', bytes: 200 * MiB });
    const budget = new MemoryBudget(512 * MiB, 0);
    const charge = new Charge(budget);
    await assert.rejects(
      exchange(pool, call, 10_000, new ClientAbort(), { maxBytes: 4 * MiB, memory: charge }),
      (e: unknown) =>
        e instanceof UpstreamAnswerTooLarge && e.kind === 'over_cap' && /max_response_bytes/.test(e.message),
    );
    assert.ok(await upstream.waitForAbort(upstream.requests.length - 1, 5000), 'the upstream request was cancelled');
    assert.ok(upstream.requests.at(-1)!.flooded < 100 * MiB, 'the proxy stopped reading early');
    assert.equal(budget.inUse, 0);
  });

  it('cuts an answer the memory budget cannot hold', async () => {
    upstream.script({ kind: 'huge', bytes: 8 * MiB });
    const budget = new MemoryBudget(2 * MiB, 0);
    const charge = new Charge(budget);
    await assert.rejects(
      exchange(pool, call, 10_000, new ClientAbort(), { maxBytes: 64 * MiB, memory: charge }),
      (e: unknown) => e instanceof UpstreamAnswerTooLarge && e.kind === 'no_memory',
    );
    assert.equal(budget.inUse, 0);
  });

  it('charges an answer that fits, for the caller to release once it is sent', async () => {
    upstream.script({ kind: 'huge', bytes: 3 * MiB });
    const budget = new MemoryBudget(64 * MiB, 0);
    const charge = new Charge(budget);
    const answer = await exchange(pool, call, 10_000, new ClientAbort(), { maxBytes: 4 * MiB, memory: charge });
    assert.equal(answer.statusCode, 200);
    assert.ok(answer.body!.length > 3 * MiB);
    assert.equal(budget.inUse, answer.body!.length);
    charge.release();
    assert.equal(budget.inUse, 0);
  });
});
