import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from '../upstream/sse.ts';
import type { StreamTranslator } from './stream.ts';
import { AnthropicToOpenAIStream } from './stream-anthropic-to-openai.ts';
import { OpenAIToAnthropicStream } from './stream-openai-to-anthropic.ts';
import { AnthropicPassthrough, OpenAIPassthrough } from './stream-passthrough.ts';

type J = Record<string, any>;

/** Feeds SSE text through a translator and parses what comes out. */
function run(tr: StreamTranslator, input: string): { out: { event: string; data: string }[]; end: string | undefined } {
  const parser = new SseParser();
  let text = '';
  for (const ev of parser.push(input)) text += tr.event(ev);
  const end = tr.end();
  if (end) text += end;
  return { out: new SseParser().push(text).map(({ event, data }) => ({ event, data })), end };
}

const oa = (chunk: J) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'gpt', ...chunk })}\n\n`;
const delta = (d: J, finish: string | null = null) => oa({ choices: [{ index: 0, delta: d, finish_reason: finish }] });
const an = (type: string, d: J) => `event: ${type}\ndata: ${JSON.stringify({ type, ...d })}\n\n`;

describe('OpenAI stream -> Anthropic stream', () => {
  it('serialises interleaved tool calls into whole, correctly attributed blocks', () => {
    const input =
      delta({ role: 'assistant', content: 'Checking' }) +
      delta({ tool_calls: [{ index: 0, id: 'c0', type: 'function', function: { name: 'a', arguments: '' } }] }) +
      delta({ tool_calls: [{ index: 1, id: 'c1', type: 'function', function: { name: 'b', arguments: '{"y"' } }] }) +
      delta({ tool_calls: [{ index: 0, function: { arguments: '{"x"' } }] }) +
      delta({ tool_calls: [{ index: 1, function: { arguments: ':2}' } }] }) +
      delta({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }) +
      delta({}, 'tool_calls') +
      oa({
        choices: [],
        usage: { prompt_tokens: 11, completion_tokens: 6, prompt_tokens_details: { cached_tokens: 1 } },
      }) +
      'data: [DONE]\n\n';
    const { out } = run(new OpenAIToAnthropicStream('gpt'), input);
    const events = out.map((e) => ({ event: e.event, ...JSON.parse(e.data) }));
    assert.deepEqual(
      events.map((e) => e.event),
      [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    assert.equal(events[0].message.id, 'msg_chatcmpl-1');
    // Rebuild blocks the way an SDK does and check nothing was lost or misattributed.
    const blocks: J[] = [];
    for (const e of events) {
      if (e.event === 'content_block_start') blocks[e.index] = { ...e.content_block, json: '' };
      if (e.event === 'content_block_delta') {
        if (e.delta.type === 'text_delta') blocks[e.index]!.text += e.delta.text;
        else blocks[e.index]!.json += e.delta.partial_json;
      }
    }
    assert.deepEqual(
      blocks.map((b) => (b.type === 'text' ? ['text', b.text] : [b.id, b.name, JSON.parse(b.json)])),
      [
        ['text', 'Checking'],
        ['c0', 'a', { x: 1 }],
        ['c1', 'b', { y: 2 }],
      ],
    );
    const md = events.at(-2)!;
    assert.deepEqual(md.delta, { stop_reason: 'tool_use', stop_sequence: null });
    assert.deepEqual(md.usage, { input_tokens: 10, output_tokens: 6, cache_read_input_tokens: 1 });
  });

  it('keeps text that arrives while a tool call is streaming and sends it after', () => {
    const input =
      delta({ tool_calls: [{ index: 0, id: 'c0', type: 'function', function: { name: 'a', arguments: '{"x":' } }] }) +
      delta({ content: 'note' }) +
      delta({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }) +
      delta({}, 'tool_calls') +
      'data: [DONE]\n\n';
    const events = run(new OpenAIToAnthropicStream('gpt'), input).out.map((e) => JSON.parse(e.data));
    const starts = events.filter((e) => e.type === 'content_block_start').map((e) => [e.index, e.content_block.type]);
    assert.deepEqual(starts, [
      [0, 'tool_use'],
      [1, 'text'],
    ]);
    const json = events
      .filter((e) => e.delta?.type === 'input_json_delta')
      .map((e) => e.delta.partial_json)
      .join('');
    assert.deepEqual(JSON.parse(json), { x: 1 });
    assert.equal(events.find((e) => e.delta?.type === 'text_delta').delta.text, 'note');
    // Every block is closed exactly once, in order.
    assert.deepEqual(
      events.filter((e) => e.type === 'content_block_stop').map((e) => e.index),
      [0, 1],
    );
  });

  it('treats a stream cut before finish_reason as incomplete', () => {
    const tr = new OpenAIToAnthropicStream('gpt');
    const { end } = run(tr, delta({ content: 'partial' }));
    assert.equal(end, undefined);
  });

  it('finishes a stream that reached finish_reason without [DONE]', () => {
    const { out } = run(new OpenAIToAnthropicStream('gpt'), delta({ content: 'hi' }) + delta({}, 'length'));
    assert.equal(out.at(-1)!.event, 'message_stop');
    assert.equal(JSON.parse(out.at(-2)!.data).delta.stop_reason, 'max_tokens');
  });

  it('turns an in-band OpenAI error into an Anthropic error event', () => {
    const tr = new OpenAIToAnthropicStream('gpt');
    const { out } = run(
      tr,
      delta({ content: 'a' }) + `data: ${JSON.stringify({ error: { message: 'boom', type: 'server_error' } })}\n\n`,
    );
    assert.ok(tr.failed);
    assert.deepEqual(JSON.parse(out.at(-1)!.data), { type: 'error', error: { type: 'server_error', message: 'boom' } });
  });
});

describe('Anthropic stream -> OpenAI stream', () => {
  const input =
    an('message_start', {
      message: {
        id: 'msg_1',
        model: 'claude',
        content: [],
        usage: { input_tokens: 8, cache_read_input_tokens: 2, output_tokens: 1 },
      },
    }) +
    an('ping', {}) +
    an('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
    an('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }) +
    an('content_block_stop', { index: 0 }) +
    an('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'tu1', name: 'f', input: {} } }) +
    an('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } }) +
    an('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '1}' } }) +
    an('content_block_stop', { index: 1 }) +
    an('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'tu2', name: 'g', input: {} } }) +
    an('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } }) +
    an('content_block_stop', { index: 2 }) +
    an('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }) +
    an('message_stop', {});

  it('maps text, tool_use blocks (indexes 0, 1), finish reason and usage', () => {
    const tr = new AnthropicToOpenAIStream('claude', true);
    const { out } = run(tr, input);
    assert.equal(out.at(-1)!.data, '[DONE]');
    const chunks = out.slice(0, -1).map((e) => JSON.parse(e.data));
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    assert.ok(chunks.every((c) => c.id === 'msg_1' && c.object === 'chat.completion.chunk'));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, 'Hi');
    const calls: J[] = [];
    for (const c of chunks) {
      for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
        calls[tc.index] ??= { args: '' };
        if (tc.id) Object.assign(calls[tc.index]!, { id: tc.id, name: tc.function.name });
        calls[tc.index]!.args += tc.function.arguments ?? '';
      }
    }
    assert.deepEqual(calls, [
      { id: 'tu1', name: 'f', args: '{"a":1}' },
      { id: 'tu2', name: 'g', args: '{}' },
    ]);
    assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason, 'tool_calls');
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.deepEqual(usage.usage, {
      prompt_tokens: 10,
      completion_tokens: 9,
      total_tokens: 19,
      prompt_tokens_details: { cached_tokens: 2 },
    });
    assert.deepEqual(tr.usage, { prompt: 10, completion: 9, cached: 2 });
  });

  it('leaves the usage chunk out when the client did not ask', () => {
    const { out } = run(new AnthropicToOpenAIStream('claude', false), input);
    assert.ok(out.slice(0, -1).every((e) => JSON.parse(e.data).choices.length === 1));
  });

  it('turns an error event into an in-band OpenAI error and marks the stream failed', () => {
    const tr = new AnthropicToOpenAIStream('claude', false);
    const { out, end } = run(
      tr,
      an('message_start', { message: { id: 'm' } }) +
        an('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
    );
    assert.ok(tr.failed);
    assert.equal(end, undefined);
    assert.deepEqual(JSON.parse(out.at(-1)!.data), {
      error: { message: 'Overloaded', type: 'overloaded_error', code: null },
    });
  });
});

describe('passthrough streams', () => {
  it('hides the usage chunk the proxy asked for, keeping its numbers', () => {
    const tr = new OpenAIPassthrough(true);
    const { out } = run(
      tr,
      delta({ content: 'x' }) +
        delta({}, 'stop') +
        oa({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } }) +
        'data: [DONE]\n\n',
    );
    assert.equal(out.length, 3);
    assert.deepEqual(tr.usage, { prompt: 3, completion: 1 });
  });

  it('relays the usage chunk when the client asked', () => {
    const { out } = run(
      new OpenAIPassthrough(false),
      delta({}, 'stop') + oa({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } }) + 'data: [DONE]\n\n',
    );
    assert.equal(out.length, 3);
  });

  it('tells a cut stream from a finished one', () => {
    assert.equal(run(new OpenAIPassthrough(false), delta({ content: 'x' })).end, undefined);
    assert.equal(
      run(new OpenAIPassthrough(false), delta({ content: 'x' }) + delta({}, 'stop')).end,
      'data: [DONE]\n\n',
    );
    assert.equal(run(new AnthropicPassthrough(), an('message_start', { message: {} })).end, undefined);
  });

  it('meters Anthropic usage from message_start and message_delta', () => {
    const tr = new AnthropicPassthrough();
    run(
      tr,
      an('message_start', {
        message: { usage: { input_tokens: 5, cache_creation_input_tokens: 1, output_tokens: 1 } },
      }) +
        an('message_delta', { delta: {}, usage: { output_tokens: 12 } }) +
        an('message_stop', {}),
    );
    assert.deepEqual(tr.usage, { prompt: 6, completion: 12, cacheWrite: 1 });
  });
});
