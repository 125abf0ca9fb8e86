import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { events, readWithSdk, sdkStreamError, translate } from './fixtures/sdk.ts';
import { ResponsesPassthrough } from './passthrough.ts';

type J = Record<string, any>;

const ev = (type: string, fields: J, seq: number) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: seq })}\n\n`;
const response = (status: string, usage: J | null, output: J[] = []) => ({
  id: 'resp_up1',
  object: 'response',
  created_at: 1,
  status,
  model: 'gpt-5.2',
  output,
  usage,
  error: null,
  incomplete_details: null,
});
const item = { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
const at = { item_id: 'msg_1', output_index: 0, content_index: 0 };
/** An OpenAI Responses stream up to the first text delta (sequence numbers 0..4). */
const head =
  ev('response.created', { response: response('in_progress', null) }, 0) +
  ev('response.in_progress', { response: response('in_progress', null) }, 1) +
  ev('response.output_item.added', { output_index: 0, item }, 2) +
  ev('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [] } }, 3) +
  ev('response.output_text.delta', { ...at, delta: 'hi', logprobs: [] }, 4);
const usage = {
  input_tokens: 30,
  input_tokens_details: { cached_tokens: 20 },
  output_tokens: 7,
  output_tokens_details: { reasoning_tokens: 5 },
  total_tokens: 37,
};

describe('Responses passthrough', () => {
  it('relays a complete stream as it is and meters its usage with the cached and reasoning tokens', () => {
    const done = ev('response.completed', { response: response('completed', usage) }, 5);
    const tr = new ResponsesPassthrough({}, 'gpt-5.2');
    const { text, end } = translate(tr, head + done);
    assert.equal(text, head + done);
    assert.equal(end, '');
    assert.equal(tr.failed, false);
    assert.deepEqual(tr.usage, { prompt: 30, completion: 7, cached: 20, reasoning: 5 });
  });

  it('ends a stream cut short with error and response.failed, numbered after the upstream last event', async () => {
    const tr = new ResponsesPassthrough({}, 'gpt-5.2');
    const { text, end } = translate(tr, head);
    assert.equal(end, undefined, 'no terminal event: cut short');
    const tail = tr.error('upstream up ended the stream before it was complete', 'api_error');
    const evs = events(text + tail) as J[];
    assert.deepEqual(
      evs.map((e) => e.sequence_number),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      evs.slice(-2).map((e) => e.type),
      ['error', 'response.failed'],
    );
    const failed = evs.at(-1)!.response;
    assert.deepEqual([failed.id, failed.model, failed.status], ['resp_up1', 'gpt-5.2', 'failed']);
    assert.match(failed.error.message, /ended the stream/);
    assert.match(String(((await sdkStreamError(text + tail)) as J).message), /ended the stream/);
  });

  it('follows an upstream error event with response.failed and marks the stream failed', () => {
    const tr = new ResponsesPassthrough({}, 'gpt-5.2');
    const error = ev('error', { code: 'server_error', message: 'overloaded', param: null }, 5);
    const { text } = translate(tr, head + error);
    assert.ok(tr.failed);
    const last = (events(text) as J[]).at(-1)!;
    assert.deepEqual(
      [last.type, last.sequence_number, last.response.error.message],
      ['response.failed', 6, 'overloaded'],
    );
  });

  it('marks an upstream response.failed as a failure, relayed unchanged', async () => {
    const tr = new ResponsesPassthrough({}, 'gpt-5.2');
    const failed = ev('response.failed', { response: response('failed', usage) }, 5);
    const { text, end } = translate(tr, head + failed);
    assert.equal(text, head + failed);
    assert.equal(end, '');
    assert.ok(tr.failed);
    const { final } = await readWithSdk(
      head + ev('response.completed', { response: response('completed', usage, [item]) }, 5),
    );
    assert.equal(final.id, 'resp_up1', 'the hand-made stream is one the SDK reads');
  });
});
