// A translated Responses stream keeps its items to repeat them in response.completed: that is
// capped by server.max_response_bytes and charged to the memory budget like a buffered answer. An
// upstream that streams without end is cut with error and response.failed, and cancelled.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { startProxy, TOKEN, type RunningProxy } from './harness.ts';

const MiB = 1024 * 1024;

describe('a translated Responses stream within server.max_response_bytes', () => {
  let chat: MockUpstream;
  let px: RunningProxy;
  let client: OpenAI;

  before(async () => {
    chat = await startOpenAIMock({ chatOnly: true });
    px = await startProxy(`providers:
  - name: chat
    type: openai-compatible
    base_url: ${chat.url}/v1
    responses_api: false
    max_retries: 2
    models: [qwen3]
server:
  retry_base_delay: 0.01
  max_response_bytes: 65536
`);
    client = new OpenAI({ apiKey: TOKEN, baseURL: `${px.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await px.close();
    await chat.close();
  });

  it('cuts an endless answer with error and response.failed, once, and cancels the upstream', {
    timeout: 30_000,
  }, async () => {
    const n = chat.requests.length;
    chat.script({ kind: 'flood' });
    const events: string[] = [];
    let deltas = 0;
    await assert.rejects(
      (async () => {
        const stream = client.responses.stream({ model: 'qwen3', input: 'go on', store: false });
        for await (const e of stream) {
          events.push(e.type);
          if (e.type === 'response.output_text.delta') deltas += e.delta.length;
        }
        await stream.finalResponse();
      })(),
      (e: Error) => /over 65536 bytes to translate \(server.max_response_bytes\)/.test(e.message),
    );
    assert.equal(events[0], 'response.created');
    assert.ok(!events.includes('response.completed'), 'never a clean end');
    assert.ok(deltas > 32_000 && deltas <= 65536, `the text relayed before the cut (${deltas} characters)`);
    assert.ok(await chat.waitForAbort(n, 5000), 'the upstream answer was cancelled');
    assert.ok(chat.requests.at(-1)!.flooded < 16 * MiB, 'the proxy stopped reading at the cap');
    assert.equal(chat.requests.length, n + 1, 'not retried');
    const answer = await client.responses.create({ model: 'qwen3', input: 'still here', store: false });
    assert.equal(answer.output_text, 'mock-openai: still here');
  });
});
