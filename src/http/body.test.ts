import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { Charge, ConnectionShare, MemoryBudget } from '../limits/budget.ts';
import { parseJsonObject, readBody } from './body.ts';
import { ProxyError } from './errors.ts';
import { inMemoryApp, requestInMemory, TEST_TOKEN } from './in-memory.ts';

const KiB = 1024;

/** A request whose body arrives in `chunks`, with or without a content-length. */
function request(chunks: Buffer[], declared: boolean): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  const size = chunks.reduce((n, c) => n + c.length, 0);
  req.headers = declared ? { 'content-length': String(size) } : { 'transfer-encoding': 'chunked' };
  for (const c of chunks) req.push(c);
  req.complete = true;
  req.push(null);
  return req;
}

const refusedWith = (status: number, code: string) => (e: unknown) =>
  e instanceof ProxyError && e.status === status && e.code === code;

describe('readBody and parseJsonObject within the memory budget', () => {
  it('refuses a declared body the budget cannot hold before reading it (503, Retry-After)', async () => {
    const budget = new MemoryBudget(100 * KiB, 0);
    new Charge(budget).tryTake(60 * KiB);
    await assert.rejects(
      readBody(request([Buffer.alloc(50 * KiB)], true), 1024 * KiB, new Charge(budget)),
      (e: unknown) => refusedWith(503, 'proxy_busy')(e) && (e as ProxyError).headers?.['retry-after'] === '1',
    );
    assert.equal(budget.inUse, 60 * KiB, 'nothing more was taken');
  });

  it('charges a body without a length as it arrives, and stops at the first chunk that does not fit', async () => {
    const budget = new MemoryBudget(100 * KiB, 0);
    const charge = new Charge(budget);
    const chunks = Array.from({ length: 4 }, () => Buffer.alloc(40 * KiB));
    await assert.rejects(readBody(request(chunks, false), 1024 * KiB, charge), refusedWith(503, 'proxy_busy'));
    assert.equal(charge.bytes, 80 * KiB);
  });

  it('answers 429 when the connection already holds a request worth of data (pipelining)', async () => {
    const budget = new MemoryBudget(10_000 * KiB, 0);
    const share = new ConnectionShare(100 * KiB);
    new Charge(budget, share).tryTake(90 * KiB);
    await assert.rejects(
      readBody(request([Buffer.alloc(20 * KiB)], true), 1024 * KiB, new Charge(budget, share)),
      refusedWith(429, 'connection_busy'),
    );
  });

  it('charges the parse before it runs: the value estimated from the structure, plus two copies of the text', () => {
    const budget = new MemoryBudget(100 * 1024 * KiB, 0);
    const charge = new Charge(budget);
    const text = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }));
    assert.equal(parseJsonObject(text, 1024 * KiB, charge).model, 'm');
    assert.ok(charge.bytes > 3 * text.length && charge.bytes < 4 * text.length, `charged ${charge.bytes}`);
    const small = new MemoryBudget(3 * text.length, 0);
    assert.throws(() => parseJsonObject(text, 1024 * KiB, new Charge(small)), refusedWith(503, 'proxy_busy'));
  });

  it('refuses deep nesting (400) and bodies that would expand past 4x the size limit (413) without parsing them', () => {
    const deep = Buffer.from(`{"model":"m","x":${'['.repeat(200)}${']'.repeat(200)}}`);
    assert.throws(() => parseJsonObject(deep, 1024 * KiB), refusedWith(400, 'json_too_deep'));
    const objects = Buffer.from(`{"model":"m","messages":[${'{},'.repeat(30_000)}{}]}`);
    assert.throws(
      () => parseJsonObject(objects, 100 * KiB),
      (e: unknown) => refusedWith(413, 'request_too_large')(e) && /too many JSON values/.test((e as Error).message),
    );
    assert.equal(Object.keys(parseJsonObject(objects, 1024 * KiB)).length, 2, 'the same body under a larger limit');
  });
});

describe('the memory budget across requests (in memory)', () => {
  it('gives every request its charge back when its response closes', async () => {
    const app = inMemoryApp(
      'server:\n  max_body_bytes: 65536\n  memory_budget_bytes: 8388608\n  max_response_bytes: 1048576\n  max_event_bytes: 1048576\nproviders:\n  - {name: echo, type: echo, models: [echo]}\n',
    );
    const headers = { authorization: `Bearer ${TEST_TOKEN}` };
    const body = { model: 'echo', messages: [{ role: 'user', content: 'x'.repeat(60_000) }] };
    // 60 requests of ~240 KB each would need 14 MB at once: they pass one after another because each gives its charge back.
    for (let i = 0; i < 60; i++)
      assert.equal((await requestInMemory(app.handle, '/v1/chat/completions', { headers, body })).status, 200);
    const metrics = (await requestInMemory(app.handle, '/metrics', { headers })).body;
    assert.match(metrics, /^aiproxy_memory_budget_used_bytes 0$/m);
  });
});
