// The real `@anthropic-ai/sdk` through the proxy: to an Anthropic upstream (passed through) and
// to an OpenAI upstream (translated), including OpenAI's interleaved streamed tool calls.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { MOCK_TOOL_INPUT, startAnthropicMock } from '../mocks/anthropic.ts';
import { MOCK_TOOL_ARGS, startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { anthropicProvider, openaiProvider, startProxy, TOKEN, type RunningProxy } from './harness.ts';
import { targetLabel } from './target.ts';

const tools: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Weather',
    input_schema: { type: 'object', properties: { city: { type: 'string' } } },
  },
  { name: 'get_time', input_schema: { type: 'object', properties: {} } },
];

describe(`anthropic SDK through the proxy (${targetLabel()})`, () => {
  let oa: MockUpstream;
  let an: MockUpstream;
  let px: RunningProxy;
  let client: Anthropic;

  before(async () => {
    oa = await startOpenAIMock();
    an = await startAnthropicMock();
    px = await startProxy(`providers:
${openaiProvider('oa', oa.url, '    models: [gpt-4o]\n')}${anthropicProvider('an', an.url, '    models: [claude-x]\n')}`);
    client = new Anthropic({ apiKey: TOKEN, baseURL: px.url, maxRetries: 0 });
  });
  after(async () => {
    await px.close();
    await oa.close();
    await an.close();
  });

  it('passes messages through to Anthropic, non-streaming and streaming', async () => {
    const r = await client.messages.create({
      model: 'claude-x',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hello' }],
    });
    assert.deepEqual(r.content, [{ type: 'text', text: 'mock-anthropic: hello' }]);
    const stream = client.messages.stream({
      model: 'claude-x',
      max_tokens: 50,
      tools,
      messages: [{ role: 'user', content: 'weather?' }],
    });
    const final = await stream.finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    const use = final.content.find((b) => b.type === 'tool_use');
    assert.deepEqual(use?.type === 'tool_use' ? use.input : undefined, MOCK_TOOL_INPUT);
    assert.equal(final.usage.output_tokens, 7);
    const metrics = await (await fetch(`${px.url}/metrics`, { headers: { 'x-api-key': TOKEN } })).text();
    assert.match(metrics, /aiproxy_tokens_total\{provider="an",model="claude-x",kind="completion"\} 14/);
  });

  it('translates messages to an OpenAI provider and back', async () => {
    const r = await client.messages.create({
      model: 'gpt-4o',
      max_tokens: 50,
      system: 'be brief',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi there' }] }],
    });
    assert.equal(r.type, 'message');
    assert.deepEqual(r.content, [{ type: 'text', text: 'mock-openai: hi there' }]);
    assert.equal(r.stop_reason, 'end_turn');
    assert.ok(r.usage.input_tokens > 0);
    const sent = oa.requests.at(-1)!.body;
    assert.deepEqual((sent.messages as unknown[])[0], { role: 'system', content: 'be brief' });
    assert.equal(sent.max_tokens, 50);
  });

  it('translates interleaved streamed OpenAI tool calls into sequential tool_use blocks', async () => {
    const stream = client.messages.stream({
      model: 'gpt-4o',
      max_tokens: 50,
      tools,
      messages: [{ role: 'user', content: 'weather?' }],
    });
    const starts: number[] = [];
    stream.on('streamEvent', (e) => {
      if (e.type === 'content_block_start') starts.push(e.index);
    });
    const final = await stream.finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    const uses = final.content.filter((b) => b.type === 'tool_use');
    assert.deepEqual(
      uses.map((u) => (u.type === 'tool_use' ? [u.id, u.name, u.input] : [])),
      [
        ['call_0', 'get_weather', MOCK_TOOL_ARGS[0]],
        ['call_1', 'get_time', MOCK_TOOL_ARGS[1]],
      ],
    );
    assert.deepEqual(starts, [0, 1]);
    assert.equal(final.usage.output_tokens, 20, 'usage from the OpenAI usage chunk');
    assert.ok(final.usage.input_tokens > 0);
  });

  it('sends tool results to OpenAI as tool messages', async () => {
    const r = await client.messages.create({
      model: 'gpt-4o',
      max_tokens: 50,
      tools,
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_9', name: 'get_weather', input: { city: 'Paris' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_9', content: 'sunny' }] },
      ],
    });
    assert.equal(r.stop_reason, 'end_turn');
    const msgs = oa.requests.at(-1)!.body.messages as Record<string, unknown>[];
    assert.deepEqual(msgs[1], {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    });
    assert.deepEqual(msgs[2], { role: 'tool', tool_call_id: 'call_9', content: 'sunny' });
  });

  it('lists the models in a page the Anthropic SDK reads', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('claude-x') && ids.includes('gpt-4o'));
  });

  it('streams plain text from an OpenAI provider as Anthropic text deltas', async () => {
    const stream = client.messages.stream({
      model: 'gpt-4o',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'one two' }],
    });
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    assert.equal(text, 'mock-openai: one two');
    assert.equal(final.stop_reason, 'end_turn');
  });
});
