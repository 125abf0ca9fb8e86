// The real `openai` SDK through the proxy: to an OpenAI upstream (passed through) and to an
// Anthropic upstream (translated), non-streaming and streaming, with tool calls and usage.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { MOCK_TOOL_INPUT, startAnthropicMock } from '../mocks/anthropic.ts';
import { MOCK_EMBEDDING, MOCK_TOOL_ARGS, startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import {
  ANTHROPIC_KEY,
  anthropicProvider,
  OPENAI_KEY,
  openaiProvider,
  startProxy,
  TOKEN,
  type RunningProxy,
} from './harness.ts';
import { targetLabel } from './target.ts';

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
];

describe(`openai SDK through the proxy (${targetLabel()})`, () => {
  let oa: MockUpstream;
  let an: MockUpstream;
  let px: RunningProxy;
  let client: OpenAI;

  before(async () => {
    oa = await startOpenAIMock();
    an = await startAnthropicMock();
    px = await startProxy(`providers:
${openaiProvider('oa', oa.url, '    models: [gpt-4o]\n')}${anthropicProvider('an', an.url, '    models: [claude-x]\n')}routes:
  gpt-alias: [oa/gpt-4o]
`);
    client = new OpenAI({ apiKey: TOKEN, baseURL: `${px.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await px.close();
    await oa.close();
    await an.close();
  });

  it('passes a chat completion through, rewriting the route to the upstream model', async () => {
    const r = await client.chat.completions.create({
      model: 'gpt-alias',
      messages: [{ role: 'user', content: 'hello' }],
    });
    assert.equal(r.choices[0]!.message.content, 'mock-openai: hello');
    const req = oa.requests.at(-1)!;
    assert.equal(req.body.model, 'gpt-4o');
    assert.equal(req.headers.authorization, `Bearer ${OPENAI_KEY}`, 'the provider key goes upstream');
    assert.ok(!JSON.stringify(req.headers).includes(TOKEN), 'the client token never goes upstream');
  });

  it('streams from OpenAI and hides the usage chunk the proxy asked for', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'one two three' }],
    });
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usageChunks++;
    }
    assert.equal(text, 'mock-openai: one two three');
    assert.equal(usageChunks, 0, 'client did not ask for usage');
    assert.deepEqual(
      oa.requests.at(-1)!.body.stream_options,
      { include_usage: true },
      'proxy asked upstream for usage',
    );
    const metrics = await (await fetch(`${px.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.match(metrics, /aiproxy_tokens_total\{provider="oa",model="gpt-4o",kind="completion"\} \d+/);
  });

  it('relays streamed, interleaved OpenAI tool calls intact', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      tools,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'weather?' }],
    });
    const calls: { id?: string; name?: string; args: string }[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[tc.index] ??= { args: '' };
        if (tc.id) calls[tc.index]!.id = tc.id;
        if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
        calls[tc.index]!.args += tc.function?.arguments ?? '';
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.deepEqual(
      calls.map((c) => JSON.parse(c.args)),
      MOCK_TOOL_ARGS,
    );
    assert.deepEqual(
      calls.map((c) => c.name),
      ['get_weather', 'get_time'],
    );
    assert.ok(usage && usage.completion_tokens === 20, 'client asked for usage and got it');
  });

  it('translates a chat completion to an Anthropic provider and back', async () => {
    const r = await client.chat.completions.create({
      model: 'claude-x',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi there' },
      ],
    });
    assert.equal(r.choices[0]!.message.content, 'mock-anthropic: hi there');
    assert.equal(r.choices[0]!.finish_reason, 'stop');
    assert.ok(r.usage!.prompt_tokens > 0 && r.usage!.completion_tokens === 7);
    const req = an.requests.at(-1)!;
    assert.equal(req.body.system, 'be brief');
    assert.equal(req.body.max_tokens, 4096, 'documented default max_tokens');
    assert.equal(req.headers['x-api-key'], ANTHROPIC_KEY);
    assert.equal(req.headers['anthropic-version'], '2023-06-01');
  });

  it('translates a streamed Anthropic tool call into OpenAI tool_call deltas', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude-x',
      stream: true,
      tools,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'weather?' }],
    });
    let text = '';
    let args = '';
    let name = '';
    let id = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      text += c?.delta.content ?? '';
      for (const tc of c?.delta.tool_calls ?? []) {
        assert.equal(tc.index, 0);
        args += tc.function?.arguments ?? '';
        name ||= tc.function?.name ?? '';
        id ||= tc.id ?? '';
      }
      finish = c?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'Let me check.');
    assert.deepEqual(JSON.parse(args), MOCK_TOOL_INPUT);
    assert.equal(name, 'get_weather');
    assert.equal(id, 'toolu_mock1');
    assert.equal(finish, 'tool_calls');
    assert.equal(usage?.completion_tokens, 7);
    const sent = an.requests.at(-1)!.body;
    assert.deepEqual(
      (sent.tools as { name: string }[]).map((t) => t.name),
      ['get_weather', 'get_time'],
    );
  });

  it('sends tool results back to Anthropic as tool_result blocks', async () => {
    const r = await client.chat.completions.create({
      model: 'claude-x',
      tools,
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
      ],
    });
    assert.equal(r.choices[0]!.finish_reason, 'stop');
    const msgs = an.requests.at(-1)!.body.messages as {
      role: string;
      content: { type: string; [k: string]: unknown }[];
    }[];
    assert.deepEqual(msgs[1]!.content[0], {
      type: 'tool_use',
      id: 'toolu_1',
      name: 'get_weather',
      input: { city: 'Paris' },
    });
    assert.deepEqual(msgs[2], {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }],
    });
  });

  it('passes embeddings and lists models', async () => {
    const e = await client.embeddings.create({ model: 'gpt-4o', input: 'x' });
    assert.deepEqual(e.data[0]!.embedding, MOCK_EMBEDDING);
    const models = (await client.models.list()).data.map((m) => m.id);
    for (const id of ['gpt-alias', 'gpt-4o', 'claude-x', 'oa/gpt-4o']) assert.ok(models.includes(id), id);
  });

  it('passes /v1/responses and /v1/completions through, streaming and not', async () => {
    const r = await client.responses.create({ model: 'gpt-4o', input: 'hey' });
    assert.equal(r.output_text, 'mock-openai: hey');
    assert.equal(oa.requests.at(-1)!.path, '/v1/responses');
    const events: string[] = [];
    for await (const e of await client.responses.create({ model: 'gpt-4o', input: 'hey', stream: true }))
      events.push(e.type);
    assert.deepEqual(events, ['response.created', 'response.output_text.delta', 'response.completed']);
    const c = await client.completions.create({ model: 'gpt-4o', prompt: 'p' });
    assert.equal(c.choices[0]!.text, 'mock-openai: p');
    let text = '';
    for await (const chunk of await client.completions.create({ model: 'gpt-4o', prompt: 'p', stream: true }))
      text += chunk.choices[0]!.text;
    assert.equal(text, 'mock');
  });

  it('answers health probes without auth and API calls only with it', async () => {
    assert.equal(await (await fetch(`${px.url}/ping`)).text(), 'pong');
    assert.equal((await fetch(`${px.url}/health/live`)).status, 200);
    assert.equal((await fetch(`${px.url}/health/ready`)).status, 200);
    const health = (await (await fetch(`${px.url}/health`)).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(health).sort(), ['components', 'status', 'uptime_seconds', 'version']);
    assert.equal((await fetch(`${px.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${px.url}/v1/models`)).status, 401);
    assert.equal((await fetch(`${px.url}/v1/chat/completions`)).status, 405);
    const bad = await fetch(`${px.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{not json',
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /not valid JSON/);
  });

  it('refuses embeddings for a model only an Anthropic provider serves', async () => {
    await assert.rejects(
      client.embeddings.create({ model: 'claude-x', input: 'x' }),
      (e: InstanceType<typeof OpenAI.APIError>) => e.status === 400 && /does not support/.test(e.message),
    );
  });
});
