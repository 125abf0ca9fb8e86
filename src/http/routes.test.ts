import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { fetchInMemory, inMemoryApp, requestInMemory, TEST_TOKEN } from './in-memory.ts';
import { API_PATHS } from './routes.ts';

const yaml = `providers:
  - {name: echo, type: echo, models: [echo]}
routes:
  alias: [echo/echo]
`;
const auth = { authorization: `Bearer ${TEST_TOKEN}` };

describe('routing (in memory)', () => {
  const app = inMemoryApp(yaml);

  it('serves the probes, /metrics and /v1/models by GET', async () => {
    const ping = await requestInMemory(app.handle, '/ping');
    assert.equal(ping.status, 200);
    assert.equal(ping.body, 'pong');
    assert.equal(ping.headers['content-type'], 'text/plain');
    assert.deepEqual((await requestInMemory(app.handle, '/health/live')).json(), { status: 'ok' });
    assert.deepEqual((await requestInMemory(app.handle, '/health/ready')).json(), { status: 'ready' });
    const health = await requestInMemory(app.handle, '/health');
    assert.equal(health.status, 200);
    assert.equal((health.json() as { status: string }).status, 'ok');
    const metrics = await requestInMemory(app.handle, '/metrics', { headers: auth });
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4');
    assert.match(metrics.body, /^# HELP aiproxy_requests_total /);
    const models = await requestInMemory(app.handle, '/v1/models', { headers: auth });
    assert.equal(models.status, 200);
    assert.equal(models.body, app.runtime.modelsBody);
  });

  it('sends each API path to the proxy core by POST', async () => {
    const chat = { model: 'alias', messages: [{ role: 'user', content: 'routed here' }] };
    const r = await requestInMemory(app.handle, '/v1/chat/completions', { headers: auth, body: chat });
    assert.equal(r.status, 200);
    assert.equal((r.json() as { object: string }).object, 'chat.completion');
    const m = await requestInMemory(app.handle, '/v1/messages', { headers: auth, body: { ...chat, max_tokens: 9 } });
    assert.equal(m.status, 200);
    assert.equal((m.json() as { type: string }).type, 'message');
    assert.deepEqual(Object.keys(API_PATHS).sort(), [
      '/v1/chat/completions',
      '/v1/completions',
      '/v1/embeddings',
      '/v1/messages',
      '/v1/responses',
    ]);
  });

  it('ignores the query string and answers HEAD like GET without a body', async () => {
    assert.equal((await requestInMemory(app.handle, '/ping?probe=1')).body, 'pong');
    const head = await requestInMemory(app.handle, '/health/live', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  it("answers an unknown path with 404 in both SDKs' error shape", async () => {
    for (const path of ['/', '/v1/nope', '/v2/chat/completions', '/health/']) {
      const r = await requestInMemory(app.handle, path, { headers: auth });
      assert.equal(r.status, 404, path);
      assert.deepEqual(r.json(), {
        type: 'error',
        error: { message: `no such endpoint: ${path}`, type: 'not_found_error', code: 'unknown_url' },
      });
    }
  });

  it('answers a wrong method with 405, before any auth', async () => {
    for (const [method, path] of [
      ['GET', '/v1/chat/completions'],
      ['PUT', '/v1/messages'],
      ['POST', '/ping'],
      ['DELETE', '/v1/models'],
      ['POST', '/nowhere'],
    ] as const) {
      const r = await requestInMemory(app.handle, path, { method });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.deepEqual(r.json(), {
        type: 'error',
        error: {
          message: `${method} is not allowed on ${path}`,
          type: 'invalid_request_error',
          code: 'method_not_allowed',
        },
      });
    }
  });

  it('keeps a sane x-request-id and makes one otherwise', async () => {
    const kept = await requestInMemory(app.handle, '/ping', { headers: { 'x-request-id': 'trace-1.2:3' } });
    assert.equal(kept.headers['x-request-id'], 'trace-1.2:3');
    const made = await requestInMemory(app.handle, '/ping', { headers: { 'x-request-id': 'not sane' } });
    assert.match(made.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('/v1/models (in memory, real SDK clients)', () => {
  const app = inMemoryApp(yaml);
  const fetch = fetchInMemory(app.handle);

  it('lists every route for the openai client', async () => {
    const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: 'http://proxy.test/v1', fetch, maxRetries: 0 });
    const models = (await client.models.list()).data;
    assert.deepEqual(
      models.map((m) => [m.id, m.object, m.owned_by]),
      [
        ['alias', 'model', 'echo'],
        ['echo/echo', 'model', 'echo'],
        ['echo', 'model', 'echo'],
      ],
    );
  });

  it('lists every route for the anthropic client, which reads its page and model fields', async () => {
    const client = new Anthropic({ apiKey: TEST_TOKEN, baseURL: 'http://proxy.test', fetch, maxRetries: 0 });
    const ids: string[] = [];
    for await (const m of client.models.list()) {
      assert.equal(m.type, 'model');
      assert.equal(m.display_name, m.id);
      ids.push(m.id);
    }
    assert.deepEqual(ids, ['alias', 'echo/echo', 'echo']);
  });
});
