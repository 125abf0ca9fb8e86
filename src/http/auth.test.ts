import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenAuth } from './auth.ts';
import { inMemoryApp, requestInMemory, TEST_TOKEN } from './in-memory.ts';

describe('TokenAuth', () => {
  const auth = new TokenAuth('s'.repeat(40));
  it('accepts Bearer (any case) and x-api-key, rejects the rest', () => {
    assert.ok(auth.check(TokenAuth.presented({ authorization: `Bearer ${'s'.repeat(40)}` })));
    assert.ok(auth.check(TokenAuth.presented({ authorization: `bearer ${'s'.repeat(40)}` })));
    assert.ok(auth.check(TokenAuth.presented({ 'x-api-key': 's'.repeat(40) })));
    assert.ok(!auth.check(TokenAuth.presented({ authorization: `Basic ${'s'.repeat(40)}` })));
    assert.ok(!auth.check(TokenAuth.presented({ 'x-api-key': 's'.repeat(39) })));
    assert.ok(!auth.check(undefined));
  });
});

describe('TokenAuth compares every byte', () => {
  const token = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const auth = new TokenAuth(token);
  it('rejects a token differing only in its last byte, a prefix, an extension and an empty one', () => {
    assert.ok(auth.check(token));
    assert.ok(!auth.check(`${token.slice(0, -1)}X`));
    assert.ok(!auth.check(`X${token.slice(1)}`));
    assert.ok(!auth.check(token.slice(0, -1)));
    assert.ok(!auth.check(`${token}a`));
    assert.ok(!auth.check(''));
    assert.ok(!auth.check('é'.repeat(18)), 'same byte length, different bytes');
  });
});

describe('TokenAuth.authenticate', () => {
  const auth = new TokenAuth(TEST_TOKEN);
  it('returns the accepted token and throws a 401 ProxyError otherwise', () => {
    assert.equal(auth.authenticate({ 'x-api-key': TEST_TOKEN }), TEST_TOKEN);
    assert.throws(() => auth.authenticate({}), { name: 'ProxyError', status: 401, code: 'invalid_api_key' });
    assert.throws(() => auth.authenticate({ authorization: 'Bearer nope' }), { status: 401 });
  });
});

describe('authentication of requests (in memory)', () => {
  const app = inMemoryApp('providers:\n  - {name: echo, type: echo, models: [echo]}\n');
  const chat = { model: 'echo', messages: [{ role: 'user', content: 'hi' }] };

  it('accepts the token as "Authorization: Bearer" (any case) and as x-api-key', async () => {
    const accepted: Record<string, string>[] = [
      { authorization: `Bearer ${TEST_TOKEN}` },
      { authorization: `bearer ${TEST_TOKEN}` },
      { 'x-api-key': TEST_TOKEN },
    ];
    for (const headers of accepted) {
      assert.equal((await requestInMemory(app.handle, '/v1/chat/completions', { headers, body: chat })).status, 200);
      assert.equal((await requestInMemory(app.handle, '/v1/models', { headers })).status, 200);
    }
  });

  it("answers 401 with both SDKs' error body when the key is missing, wrong or sent another way", async () => {
    const refused: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { 'x-api-key': `${TEST_TOKEN}x` },
      { authorization: `Basic ${TEST_TOKEN}` },
    ];
    for (const headers of refused) {
      for (const [path, body] of [
        ['/v1/chat/completions', chat],
        ['/v1/messages', { ...chat, max_tokens: 5 }],
        ['/v1/models', undefined],
        ['/metrics', undefined],
      ] as const) {
        const r = await requestInMemory(app.handle, path, { headers, body });
        assert.equal(r.status, 401, `${path} with ${JSON.stringify(headers)}`);
        assert.deepEqual(r.json(), {
          type: 'error',
          error: {
            message: 'missing or invalid API key (send "Authorization: Bearer <AUTH_TOKEN>" or "x-api-key")',
            type: 'authentication_error',
            code: 'invalid_api_key',
          },
        });
      }
    }
  });

  it('needs no key for the probes', async () => {
    for (const path of ['/ping', '/health/live', '/health/ready', '/health'])
      assert.equal((await requestInMemory(app.handle, path)).status, 200, path);
  });
});
