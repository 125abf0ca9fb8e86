// The real `openai` SDK's Responses API (responses.create and the responses.stream helper, which
// accumulates and checks every event) through the proxy to each provider type: OpenAI with the
// Responses API (passed through), Anthropic and a chat-completions-only server (translated).
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import OpenAI from 'openai';
import { startAnthropicMock } from '../mocks/anthropic.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { cellTest } from '../agents/matrix.ts';
import { anthropicProvider, startProxy, TOKEN, type RunningProxy } from './harness.ts';

type J = Record<string, any>;
const tools: OpenAI.Responses.Tool[] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
    strict: false,
  },
];

describe('openai SDK responses API through the proxy', () => {
  let oa: MockUpstream;
  let an: MockUpstream;
  let chat: MockUpstream;
  let px: RunningProxy;
  let client: OpenAI;

  before(async () => {
    oa = await startOpenAIMock();
    an = await startAnthropicMock();
    chat = await startOpenAIMock({ chatOnly: true });
    px = await startProxy(`providers:
  - name: oa
    type: openai
    base_url: ${oa.url}/v1
    api_key: \${OPENAI_API_KEY}
    models: [gpt-5.2]
${anthropicProvider('an', an.url, '    models: [claude-x]\n')}  - name: chat
    type: openai-compatible
    base_url: ${chat.url}/v1
    responses_api: false
    models: [qwen3]
`);
    client = new OpenAI({ apiKey: TOKEN, baseURL: `${px.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await px.close();
    for (const m of [oa, an, chat]) await m.close();
  });

  /** The request log line of one request, by its x-request-id (written when its response closes), as JSON text. */
  async function logLine(requestId: string): Promise<string> {
    return JSON.stringify(await px.logLine((l) => l.msg === 'request' && l.request_id === requestId));
  }

  cellTest('openaiSdk', 'responses', 'text, usage, streamed tool call (passthrough)', async () => {
    const r = await client.responses.create({ model: 'gpt-5.2', input: 'hey' });
    assert.equal(r.output_text, 'mock-openai: hey');
    assert.ok(r.usage && r.usage.output_tokens === 9);
    const final = await client.responses.stream({ model: 'gpt-5.2', input: 'hey' }).finalResponse();
    assert.equal(final.output_text, 'mock-openai: hey');
    assert.equal(oa.requests.at(-1)!.path, '/v1/responses');
  });

  cellTest(
    'openaiSdk',
    'responses',
    'an upstream cut mid-stream ends in `error` and `response.failed`, never a clean end',
    async () => {
      oa.script({ kind: 'reset-after', events: 4 });
      const events: { type: string; sequence_number: number }[] = [];
      await assert.rejects(
        (async () => {
          const stream = client.responses.stream(
            { model: 'gpt-5.2', input: 'cut me', store: false },
            { headers: { 'x-request-id': 'cut-responses' } },
          );
          for await (const e of stream) events.push(e);
          await stream.finalResponse();
        })(),
        (e: J) => /connection to upstream .* failed|ended the stream before it was complete/.test(String(e.message)),
      );
      assert.deepEqual(
        events.map((e) => e.type),
        [
          'response.created',
          'response.in_progress',
          'response.output_item.added',
          'response.content_part.added',
          'error',
        ],
        'the SDK stops at the error event',
      );
      assert.deepEqual(
        events.map((e) => e.sequence_number),
        [0, 1, 2, 3, 4],
        'the error event continues the upstream numbering',
      );
      assert.match(await logLine('cut-responses'), /"status":200,.*"error":"(connection to upstream|upstream)/);
    },
  );

  for (const [provider, model, upstream] of [
    ['anthropic', 'claude-x', () => an],
    ['chat', 'qwen3', () => chat],
  ] as const) {
    const path = provider === 'anthropic' ? '/v1/messages' : '/v1/chat/completions';

    cellTest('openaiSdk', provider, 'text and usage (`responses.create`)', async () => {
      const r = await client.responses.create({
        model,
        instructions: 'be brief',
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi there' }] }],
        store: false,
      });
      assert.equal(r.object, 'response');
      assert.equal(r.status, 'completed');
      assert.match(r.output_text, /^mock-(anthropic|openai): hi there$/);
      const sent = upstream().requests.at(-1)!;
      assert.equal(sent.path, path);
      const u = r.usage!;
      assert.ok(u.input_tokens > 0 && u.output_tokens > 0);
      assert.equal(u.total_tokens, u.input_tokens + u.output_tokens);
      if (provider === 'anthropic') {
        assert.deepEqual(sent.body.system, [{ type: 'text', text: 'be brief' }]);
        assert.equal(u.input_tokens, JSON.stringify(sent.body.messages).length + 3, 'cache reads are input tokens');
        assert.equal(u.input_tokens_details.cached_tokens, 3);
      } else {
        assert.equal((sent.body.messages as J[])[0]!.content, 'be brief');
        assert.equal(u.input_tokens_details.cached_tokens, 2);
      }
    });

    cellTest('openaiSdk', provider, 'streamed tool call with intact arguments (`responses.stream`)', async () => {
      const stream = client.responses.stream(
        { model, input: 'weather?', tools, store: false },
        { headers: { 'x-request-id': `tool-stream-${provider}` } },
      );
      let deltas = '';
      stream.on('response.function_call_arguments.delta', (e) => (deltas += e.delta));
      const final = await stream.finalResponse();
      const calls = final.output.filter((o) => o.type === 'function_call');
      assert.ok(calls.length >= 1);
      assert.equal(calls[0]!.name, 'get_weather');
      assert.deepEqual(JSON.parse(calls[0]!.arguments), { city: 'Paris', unit: 'celsius' });
      assert.equal(deltas, calls.map((c) => c.arguments).join(''), 'the deltas add up to the arguments');
      assert.ok(final.usage && final.usage.output_tokens > 0, 'a streamed answer carries its usage');
      assert.match(
        await logLine(`tool-stream-${provider}`),
        /"prompt_tokens":[1-9]\d*,"completion_tokens":[1-9]/,
        'and the proxy metered it',
      );
    });

    cellTest('openaiSdk', provider, 'hosted tools left out, named in `x-ai-proxy-dropped-tools`', async () => {
      const withSearch: OpenAI.Responses.Tool[] = [...tools, { type: 'web_search' }];
      for (const stream of [false, true]) {
        const { data, response } = await client.responses
          .create({ model, input: 'x', tools: withSearch, stream })
          .withResponse();
        assert.equal(response.headers.get('x-ai-proxy-dropped-tools'), 'web_search');
        assert.match(
          String(response.headers.get('content-type')),
          stream ? /^text\/event-stream/ : /^application\/json/,
        );
        if (stream) for await (const _ of data as AsyncIterable<unknown>);
      }
      assert.ok(!JSON.stringify(upstream().requests.at(-1)!.body).includes('web_search'));
    });

    cellTest(
      'openaiSdk',
      provider,
      'an upstream cut mid-stream ends in `error` and `response.failed`, never a clean end',
      async () => {
        upstream().script({ kind: 'reset-after', events: 4 });
        const events: string[] = [];
        await assert.rejects(
          (async () => {
            const stream = client.responses.stream(
              { model, input: 'cut me', store: false },
              { headers: { 'x-request-id': `cut-${provider}` } },
            );
            for await (const e of stream) events.push(e.type);
            await stream.finalResponse();
          })(),
          (e: J) => /connection to upstream .* failed|ended the stream before it was complete/.test(String(e.message)),
        );
        assert.equal(events[0], 'response.created');
        assert.ok(events.includes('error') && !events.includes('response.completed'), events.join(','));
        assert.match(await logLine(`cut-${provider}`), /"status":200,.*"error":"(connection to upstream|upstream)/);
      },
    );

    cellTest('openaiSdk', provider, '`text.format` JSON schema', async () => {
      const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
      await client.responses.create({
        model,
        input: 'json please',
        text: { format: { type: 'json_schema', name: 'reply', schema, strict: true } },
      });
      const sent = upstream().requests.at(-1)!.body;
      if (provider === 'anthropic') assert.deepEqual(sent.output_config, { format: { type: 'json_schema', schema } });
      else
        assert.deepEqual(sent.response_format, {
          type: 'json_schema',
          json_schema: { name: 'reply', schema, strict: true },
        });
    });

    cellTest('openaiSdk', provider, '`previous_response_id` and `store: true` refused with 400', async () => {
      const before = upstream().requests.length;
      await assert.rejects(
        client.responses.create({ model, input: 'and then?', previous_response_id: 'resp_123' }),
        (e: InstanceType<typeof OpenAI.APIError>) =>
          e.status === 400 && /previous_response_id/.test(e.message) && /store.*false/.test(e.message),
      );
      await assert.rejects(
        client.responses.create({ model, input: 'keep this', store: true }),
        (e: InstanceType<typeof OpenAI.APIError>) =>
          e.status === 400 && /"store": true needs stored responses/.test(e.message),
      );
      assert.equal(upstream().requests.length, before, 'nothing went upstream');
    });
  }
});
