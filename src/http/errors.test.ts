import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ProxyError, sendError } from './errors.ts';
import { fetchInMemory, inMemoryApp, requestInMemory, TEST_TOKEN } from './in-memory.ts';

const yaml = `server:
  max_body_bytes: 1024
providers:
  - {name: echo, type: echo, models: [echo]}
`;
const auth = { authorization: `Bearer ${TEST_TOKEN}` };

describe('error bodies (in memory)', () => {
  const app = inMemoryApp(yaml);

  it('are {"type":"error","error":{"message","type","code"}} for every refusal of the request', async () => {
    const cases = [
      ['not json', 400, 'invalid_request_error', 'invalid_json'],
      ['[1]', 400, 'invalid_request_error', 'invalid_json'],
      [{ messages: [] }, 400, 'invalid_request_error', 'missing_model'],
      [{ model: 'unknown', messages: [] }, 404, 'not_found_error', 'model_not_found'],
      [{ model: 'echo', pad: 'x'.repeat(2000) }, 413, 'request_too_large', 'request_too_large'],
    ] as const;
    for (const [body, status, type, code] of cases) {
      const r = await requestInMemory(app.handle, '/v1/chat/completions', { headers: auth, body });
      assert.equal(r.status, status, code);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
      const json = r.json() as { type: string; error: { message: string; type: string; code: string } };
      assert.deepEqual(Object.keys(json), ['type', 'error']);
      assert.equal(json.type, 'error');
      assert.deepEqual(Object.keys(json.error), ['message', 'type', 'code']);
      assert.equal(json.error.type, type);
      assert.equal(json.error.code, code);
      assert.ok(json.error.message.length > 0);
    }
  });

  it('answers a 413 without closing the connection (the unread body is discarded: a lingering close)', async () => {
    const r = await requestInMemory(app.handle, '/v1/messages', { headers: auth, body: 'x'.repeat(5000) });
    assert.equal(r.status, 413);
    assert.notEqual(r.headers.connection, 'close', 'closing at once resets a client still sending');
    assert.match(
      (r.json() as { error: { message: string } }).error.message,
      /exceeds the limit of 1024 bytes \(server\.max_body_bytes\)/,
    );
  });

  it('reach the openai client as an APIError with status, type and code', async () => {
    const client = new OpenAI({
      apiKey: TEST_TOKEN,
      baseURL: 'http://proxy.test/v1',
      fetch: fetchInMemory(app.handle),
      maxRetries: 0,
    });
    await assert.rejects(
      client.chat.completions.create({ model: 'unknown', messages: [{ role: 'user', content: 'hi' }] }),
      (e: InstanceType<typeof OpenAI.APIError>) => {
        assert.ok(e instanceof OpenAI.NotFoundError);
        assert.equal(e.type, 'not_found_error');
        assert.equal(e.code, 'model_not_found');
        assert.match(e.message, /model "unknown" is not configured/);
        return true;
      },
    );
  });

  it('reach the anthropic client as an APIError with its error type', async () => {
    const client = new Anthropic({
      apiKey: 'wrong',
      baseURL: 'http://proxy.test',
      fetch: fetchInMemory(app.handle),
      maxRetries: 0,
    });
    await assert.rejects(
      client.messages.create({ model: 'echo', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      (e: InstanceType<typeof Anthropic.APIError>) => {
        assert.ok(e instanceof Anthropic.AuthenticationError);
        assert.deepEqual(e.error, {
          type: 'error',
          error: {
            type: 'authentication_error',
            message: 'missing or invalid API key (send "Authorization: Bearer <AUTH_TOKEN>" or "x-api-key")',
            code: 'invalid_api_key',
          },
        });
        return true;
      },
    );
  });
});

describe('sendError', () => {
  it('turns anything that is not a ProxyError into a 500 that shows no internals', async () => {
    const r = await requestInMemory((_req, res) => {
      sendError(res, new Error('secret internals at /srv/app/x.ts:1'));
    }, '/');
    assert.equal(r.status, 500);
    assert.deepEqual(r.json(), {
      type: 'error',
      error: { message: 'internal error in the proxy (see its logs)', type: 'api_error', code: 'internal_error' },
    });
  });

  it("adds the error's headers and scrubs its message", async () => {
    const r = await requestInMemory((_req, res) => {
      const error = new ProxyError(429, 'rate_limit_error', 'key sk-123 is slow', 'x', { 'retry-after': '3' });
      sendError(res, error, (t) => t.replace('sk-123', '[REDACTED]'));
    }, '/');
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '3');
    assert.equal((r.json() as { error: { message: string } }).error.message, 'key [REDACTED] is slow');
  });
});
