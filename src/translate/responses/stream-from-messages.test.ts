import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uncarryThinking } from './carrier.ts';
import { events, fixture, jsonFixture, readWithSdk, sdkStreamError, translate } from './fixtures/sdk.ts';
import { MessagesToResponsesStream } from './stream-from-messages.ts';
import { readTools } from './tools.ts';

type J = Record<string, any>;
const codex = jsonFixture('codex-0.171.0-turn1.request.json');
const an = (type: string, d: J) => `event: ${type}\ndata: ${JSON.stringify({ type, ...d })}\n\n`;
const start = an('message_start', {
  message: { id: 'msg_1', model: 'claude', content: [], usage: { input_tokens: 10, output_tokens: 1 } },
});

describe('Anthropic stream -> Responses events', () => {
  it('turns thinking, text and tool calls into items the openai SDK accumulates, with exact usage', async () => {
    const tr = new MessagesToResponsesStream(codex, 'claude-sonnet-4-6', readTools(codex));
    const { text, end } = translate(tr, fixture('anthropic-thinking-tools.sse'));
    assert.equal(end, '');
    const evs = events(text) as J[];
    assert.deepEqual(
      evs.map((e) => e.sequence_number),
      evs.map((_, i) => i),
      'sequence_number counts up from 0 without gaps',
    );
    assert.deepEqual(
      evs.slice(0, 2).map((e) => e.type),
      ['response.created', 'response.in_progress'],
    );
    assert.equal(evs.at(-1)!.type, 'response.completed');
    const { final } = await readWithSdk(text);
    assert.equal(final.status, 'completed');
    assert.equal(final.id, 'resp_msg_01XFDUDYJgAACzvnptvVoYEL');
    const [reasoning, message, call1, call2, ...rest] = final.output as J[];
    assert.equal(rest.length, 0);
    assert.equal(reasoning!.type, 'reasoning');
    assert.deepEqual(reasoning!.summary, [{ type: 'summary_text', text: 'I should list the files and count them.' }]);
    assert.deepEqual(uncarryThinking(reasoning!.encrypted_content), {
      kind: 'thinking',
      thinking: 'I should list the files and count them.',
      signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds',
    });
    assert.equal(message!.content[0].text, 'Let me look.');
    assert.equal(final.output_text, 'Let me look.');
    assert.deepEqual(
      [call1!.type, call1!.call_id, call1!.name, call1!.namespace, JSON.parse(call1!.arguments)],
      ['function_call', 'toolu_01A09q90qw90lq917835lq9', 'exec_command', undefined, { cmd: 'ls -1 | wc -l' }],
    );
    assert.deepEqual(
      [call2!.name, call2!.namespace, JSON.parse(call2!.arguments)],
      ['spawn_agent', 'multi_agent_v1', { task: 'x' }],
      'a flattened namespace tool goes back as its name and namespace',
    );
    // The arguments must agree everywhere a client may read them.
    for (const call of [call1!, call2!]) {
      const deltas = evs
        .filter((e) => e.type === 'response.function_call_arguments.delta' && e.item_id === call.id)
        .map((e) => e.delta)
        .join('');
      const done = evs.find((e) => e.type === 'response.function_call_arguments.done' && e.item_id === call.id);
      assert.equal(deltas, call.arguments);
      assert.equal(done!.arguments, call.arguments);
    }
    assert.deepEqual(final.usage, {
      input_tokens: 3895,
      input_tokens_details: { cached_tokens: 1800 },
      output_tokens: 89,
      output_tokens_details: { reasoning_tokens: 31 },
      total_tokens: 3984,
    });
    assert.deepEqual(tr.usage, { prompt: 3895, completion: 89, cached: 1800, reasoning: 31 });
    assert.equal(final.tools.length, (codex.tools as unknown[]).length, 'the request tools are echoed');
  });

  it('reports max_tokens as response.incomplete', async () => {
    const tr = new MessagesToResponsesStream({}, 'claude', undefined);
    const { text } = translate(
      tr,
      start +
        an('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
        an('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'cut' } }) +
        an('content_block_stop', { index: 0 }) +
        an('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 3 } }) +
        an('message_stop', {}),
    );
    assert.equal((events(text) as J[]).at(-1)!.type, 'response.incomplete');
    const { final } = await readWithSdk(text);
    assert.equal(final.status, 'incomplete');
    assert.deepEqual(final.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(final.output_text, 'cut');
  });

  it('turns an upstream error event into error + response.failed and marks the stream failed', async () => {
    const tr = new MessagesToResponsesStream({}, 'claude', undefined);
    const { text, end } = translate(
      tr,
      start + an('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
    );
    assert.ok(tr.failed);
    assert.equal(end, undefined, 'a failed stream did not finish');
    const evs = events(text) as J[];
    assert.deepEqual(
      evs.slice(-2).map((e) => e.type),
      ['error', 'response.failed'],
    );
    assert.deepEqual(evs.at(-2), {
      type: 'error',
      code: 'overloaded_error',
      message: 'Overloaded',
      param: null,
      sequence_number: 2,
    });
    assert.deepEqual(evs.at(-1)!.response.error, { code: 'server_error', message: 'Overloaded' });
    assert.equal(evs.at(-1)!.response.status, 'failed');
    assert.match(String(((await sdkStreamError(text)) as J).message), /Overloaded/, 'the SDK stream raises it');
  });

  it('tells a cut stream from a finished one, and fails it in-band', async () => {
    const tr = new MessagesToResponsesStream({}, 'claude', undefined);
    const partial = translate(
      tr,
      start +
        an('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 't', name: 'f', input: {} } }) +
        an('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"a"' } }),
    );
    assert.equal(partial.end, undefined);
    const text = partial.text + tr.error('upstream closed the connection', 'api_error');
    assert.equal((events(text) as J[]).at(-1)!.type, 'response.failed');
    assert.match(String(((await sdkStreamError(text)) as J).message), /upstream closed/);
  });

  it('carries a redacted thinking block and an omitted-display signature', () => {
    const tr = new MessagesToResponsesStream({}, 'claude', undefined);
    const { text } = translate(
      tr,
      start +
        an('content_block_start', { index: 0, content_block: { type: 'redacted_thinking', data: 'RED' } }) +
        an('content_block_stop', { index: 0 }) +
        an('content_block_start', { index: 1, content_block: { type: 'thinking', thinking: '', signature: '' } }) +
        an('content_block_delta', { index: 1, delta: { type: 'signature_delta', signature: 'SIG' } }) +
        an('content_block_stop', { index: 1 }) +
        an('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } }) +
        an('message_stop', {}),
    );
    const items = (events(text) as J[]).filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
    assert.deepEqual(
      items.map((i) => [i.summary, uncarryThinking(i.encrypted_content)]),
      [
        [[], { kind: 'redacted', data: 'RED' }],
        [[], { kind: 'thinking', thinking: '', signature: 'SIG' }],
      ],
    );
  });
});
