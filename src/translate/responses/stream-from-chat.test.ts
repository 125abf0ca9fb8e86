import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { events, fixture, readWithSdk, sdkStreamError, translate } from './fixtures/sdk.ts';
import { ChatToResponsesStream } from './stream-from-chat.ts';
import { readTools } from './tools.ts';
import { ITEM_OVERHEAD } from './writer.ts';

type J = Record<string, any>;
const chunk = (delta: J, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const call = (index: number, args: string, id?: string, name?: string) =>
  chunk({
    tool_calls: [
      { index, ...(id ? { id, type: 'function' } : {}), function: { ...(name ? { name } : {}), arguments: args } },
    ],
  });

describe('Chat stream -> Responses events', () => {
  it('keeps interleaved tool calls whole and in order, with reasoning, text and exact usage', async () => {
    const tr = new ChatToResponsesStream({}, 'deepseek-chat', undefined);
    const { text, end } = translate(tr, fixture('chat-reasoning-interleaved-tools.sse'));
    assert.equal(end, '');
    const evs = events(text) as J[];
    assert.deepEqual(
      evs.map((e) => e.sequence_number),
      evs.map((_, i) => i),
    );
    const { final } = await readWithSdk(text);
    assert.deepEqual(
      (final.output as J[]).map((o) =>
        o.type === 'reasoning'
          ? ['reasoning', o.summary[0].text]
          : o.type === 'message'
            ? ['message', o.content[0].text]
            : [o.call_id, o.name, JSON.parse(o.arguments)],
      ),
      [
        ['reasoning', 'Two commands are needed.'],
        ['message', 'Running both.'],
        ['call_a', 'exec_command', { cmd: 'ls' }],
        ['call_b', 'exec_command', { cmd: 'pwd' }],
      ],
    );
    for (const item of (final.output as J[]).filter((o) => o.type === 'function_call')) {
      const deltas = evs
        .filter((e) => e.type === 'response.function_call_arguments.delta' && e.item_id === item.id)
        .map((e) => e.delta)
        .join('');
      assert.equal(deltas, item.arguments, 'deltas add up to the final arguments');
    }
    assert.deepEqual(final.usage, {
      input_tokens: 1200,
      input_tokens_details: { cached_tokens: 1024 },
      output_tokens: 60,
      output_tokens_details: { reasoning_tokens: 12 },
      total_tokens: 1260,
    });
    assert.deepEqual(tr.usage, { prompt: 1200, completion: 60, cached: 1024, reasoning: 12 });
  });

  it('sends text that arrives while a call streams after that call', async () => {
    const tr = new ChatToResponsesStream({}, 'm', undefined);
    const { text } = translate(
      tr,
      call(0, '{"a":', 'c0', 'f') +
        chunk({ content: 'note' }) +
        call(0, '1}') +
        chunk({}, 'tool_calls') +
        'data: [DONE]\n\n',
    );
    const { final } = await readWithSdk(text);
    assert.deepEqual(
      (final.output as J[]).map((o) => o.type),
      ['function_call', 'message'],
    );
    assert.equal((final.output as J[])[0]!.arguments, '{"a":1}');
    assert.equal(final.output_text, 'note');
  });

  it('completes at a clean end after finish_reason when [DONE] is missing, and not before', () => {
    const finished = translate(
      new ChatToResponsesStream({}, 'm', undefined),
      chunk({ content: 'hi' }) + chunk({}, 'stop'),
    );
    assert.equal((events(finished.text) as J[]).at(-1)!.type, 'response.completed');
    const cut = translate(new ChatToResponsesStream({}, 'm', undefined), chunk({ content: 'hi' }));
    assert.equal(cut.end, undefined);
  });

  it('reports finish_reason length as incomplete', async () => {
    const { text } = translate(
      new ChatToResponsesStream({}, 'm', undefined),
      chunk({ content: 'x' }) + chunk({}, 'length'),
    );
    const { final } = await readWithSdk(text);
    assert.deepEqual([final.status, final.incomplete_details], ['incomplete', { reason: 'max_output_tokens' }]);
  });

  it('counts in `held` all it keeps to repeat at the end: text, live and buffered calls, empty ones too', () => {
    const tr = new ChatToResponsesStream({}, 'm', undefined);
    translate(tr, chunk({ content: 'x'.repeat(1000) }) + call(0, '{"a":', 'c0', 'f'));
    const afterText = tr.held;
    assert.ok(afterText >= 1005, `text and the live call's arguments (${afterText})`);
    let calls = '';
    for (let i = 1; i <= 1000; i++) calls += call(i, '', `c${i}`, 'f');
    translate(tr, calls);
    assert.ok(tr.held - afterText >= 1000 * ITEM_OVERHEAD, `a thousand empty buffered calls (${tr.held - afterText})`);
  });

  it('turns an in-band error into error + response.failed', async () => {
    const tr = new ChatToResponsesStream({}, 'm', undefined);
    const { text } = translate(
      tr,
      chunk({ content: 'a' }) + `data: ${JSON.stringify({ error: { message: 'boom', type: 'server_error' } })}\n\n`,
    );
    assert.ok(tr.failed);
    assert.deepEqual(
      (events(text) as J[]).slice(-2).map((e) => e.type),
      ['error', 'response.failed'],
    );
    assert.match(String(((await sdkStreamError(text)) as J).message), /boom/);
  });

  it('answers a custom tool with a custom_tool_call item holding the raw input', async () => {
    const request = {
      tools: [{ type: 'custom', name: 'apply_patch', description: 'Apply a patch', format: { type: 'text' } }],
    };
    const tr = new ChatToResponsesStream(request, 'm', readTools(request));
    const args = JSON.stringify({ input: '*** Begin Patch\n*** End Patch\n' });
    const { text } = translate(
      tr,
      call(0, args.slice(0, 10), 'c0', 'apply_patch') +
        call(0, args.slice(10)) +
        chunk({}, 'tool_calls') +
        'data: [DONE]\n\n',
    );
    const evs = events(text) as J[];
    assert.ok(!evs.some((e) => e.type === 'response.function_call_arguments.delta'));
    const { final } = await readWithSdk(text);
    assert.deepEqual((final.output as J[])[0], {
      id: 'ctc_c0',
      type: 'custom_tool_call',
      status: 'completed',
      call_id: 'c0',
      name: 'apply_patch',
      input: '*** Begin Patch\n*** End Patch\n',
    });
  });
});
