import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inMemoryApp, requestInMemory, TEST_TOKEN } from './in-memory.ts';
import { RateLimiter } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('allows the burst, then asks to wait, then refills', () => {
    const rl = new RateLimiter(60, 2);
    assert.equal(rl.take('a', 0), 0);
    assert.equal(rl.take('a', 0), 0);
    assert.equal(rl.take('a', 0), 1);
    assert.equal(rl.take('b', 0), 0, 'per token');
    assert.equal(rl.take('a', 1000), 0, 'one request per second refills');
  });
});

describe('rate limit of requests (in memory)', () => {
  const yaml = `server:
  rate_limit: {requests_per_minute: 6, burst: 2}
providers:
  - {name: echo, type: echo, models: [echo]}
`;
  const headers = { authorization: `Bearer ${TEST_TOKEN}` };

  it('answers 429 with Retry-After once the burst is spent', async () => {
    const app = inMemoryApp(yaml);
    assert.equal((await requestInMemory(app.handle, '/v1/models', { headers })).status, 200);
    assert.equal((await requestInMemory(app.handle, '/v1/models', { headers })).status, 200);
    const r = await requestInMemory(app.handle, '/v1/chat/completions', {
      headers,
      body: { model: 'echo', messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(r.status, 429);
    // 6 per minute: the next request is allowed in 10 s.
    assert.equal(r.headers['retry-after'], '10');
    assert.deepEqual(r.json(), {
      type: 'error',
      error: {
        message: 'rate limit exceeded; retry after 10 s',
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
      },
    });
  });

  it('checks the key first: a wrong key is a 401, and does not spend the budget', async () => {
    const app = inMemoryApp(yaml);
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await requestInMemory(app.handle, '/v1/models', { headers: { 'x-api-key': 'wrong' } })).status,
        401,
      );
    assert.equal((await requestInMemory(app.handle, '/v1/models', { headers })).status, 200);
  });

  it('leaves the probes alone', async () => {
    const app = inMemoryApp(yaml);
    for (let i = 0; i < 5; i++) assert.equal((await requestInMemory(app.handle, '/health/live')).status, 200);
  });
});
