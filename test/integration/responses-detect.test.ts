// A provider whose `responses_api` is "auto" (the default) and that has no /v1/responses: the
// first 404 turns the request into a chat completion at once, the provider is remembered as
// chat-only (shown in /health), and later requests skip the probe. A 404 that the chat retry
// confirms (an unknown model) is an error and is not remembered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { startProxy, TOKEN, type RunningProxy } from './harness.ts';

type J = Record<string, any>;

describe('Responses API detection from the upstream 404', () => {
  let chatOnly: MockUpstream;
  let full: MockUpstream;
  let px: RunningProxy;
  let client: OpenAI;

  before(async () => {
    chatOnly = await startOpenAIMock({ chatOnly: true });
    full = await startOpenAIMock();
    px = await startProxy(`providers:
  - {name: local, type: openai-compatible, base_url: "${chatOnly.url}/v1", models: [qwen3]}
  - {name: vllm, type: openai-compatible, base_url: "${full.url}/v1", max_retries: 0, models: [big]}
`);
    client = new OpenAI({ apiKey: TOKEN, baseURL: `${px.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await px.close();
    await chatOnly.close();
    await full.close();
  });

  const health = async () => (await (await fetch(`${px.url}/health`)).json()) as J;

  it('retries a 404 as chat at once, remembers it, and shows it in /health', async () => {
    assert.equal((await health()).components.providers.local.responses_api, undefined);
    const first = await client.responses.create({ model: 'qwen3', input: 'one', store: false });
    assert.equal(first.output_text, 'mock-openai: one');
    assert.deepEqual(
      chatOnly.requests.map((r) => r.path),
      ['/v1/responses', '/v1/chat/completions'],
    );
    const stream = await client.responses.stream({ model: 'qwen3', input: 'two', store: false }).finalResponse();
    assert.equal(stream.output_text, 'mock-openai: two');
    assert.deepEqual(
      chatOnly.requests.slice(2).map((r) => r.path),
      ['/v1/chat/completions'],
      'no second probe',
    );
    const local = (await health()).components.providers.local;
    assert.equal(local.responses_api, 'chat-only (detected)');
    assert.equal(local.status, 'ok', 'a probe is not a failure');
    await px.logLine(
      (l) =>
        l.msg === 'provider has no Responses API: translating /v1/responses to chat completions from now on' &&
        l.provider === 'local',
    );
  });

  it('does not remember a 404 that chat completions confirm', async () => {
    full.script({ kind: 'status', status: 404 }, { kind: 'status', status: 404 });
    await assert.rejects(
      client.responses.create({ model: 'big', input: 'x' }),
      (e: InstanceType<typeof OpenAI.APIError>) => e.status === 502,
    );
    assert.deepEqual(
      full.requests.map((r) => r.path),
      ['/v1/responses', '/v1/chat/completions'],
    );
    const ok = await client.responses.create({ model: 'big', input: 'y' });
    assert.equal(ok.output_text, 'mock-openai: y');
    assert.equal(full.requests.at(-1)!.path, '/v1/responses', 'still passed through');
    assert.equal((await health()).components.providers.vllm.responses_api, undefined);
  });
});
