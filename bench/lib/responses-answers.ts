// The answer bench/responses.ts streams, in the three wire formats (OpenAI Responses events,
// Anthropic Messages events, chat completion chunks), built once: a text of `words` words, one
// delta each. Used by the upstream process and by the in-process translator measurement.

const sse = (event: string | undefined, data: object) =>
  Buffer.from(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
const word = 'word ';

/** [first events sent at once, then the deltas, then the closing events]. */
export type Answer = [Buffer, Buffer[], Buffer];

export function responsesAnswer(words: number, echoTools: unknown[]): Answer {
  let seq = 0;
  const ev = (type: string, fields: object) => sse(type, { type, ...fields, sequence_number: seq++ });
  const response = (status: string, output: object[], usage: object | null) => ({
    id: 'resp_bench',
    object: 'response',
    created_at: 1_763_900_000,
    status,
    model: 'gpt-5.2',
    output,
    tools: echoTools,
    usage,
  });
  const item = { id: 'msg_bench', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
  const at = { item_id: 'msg_bench', output_index: 0, content_index: 0 };
  const text = word.repeat(words);
  const part = { type: 'output_text', text, annotations: [] };
  const head = Buffer.concat([
    ev('response.created', { response: response('in_progress', [], null) }),
    ev('response.in_progress', { response: response('in_progress', [], null) }),
    ev('response.output_item.added', { output_index: 0, item }),
    ev('response.content_part.added', { ...at, part: { ...part, text: '' } }),
  ]);
  const deltas = Array.from({ length: words }, () =>
    ev('response.output_text.delta', { ...at, delta: word, logprobs: [] }),
  );
  const done = { ...item, status: 'completed', content: [part] };
  const usage = {
    input_tokens: 900,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: words,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 900 + words,
  };
  const tail = Buffer.concat([
    ev('response.output_text.done', { ...at, text, logprobs: [] }),
    ev('response.content_part.done', { ...at, part }),
    ev('response.output_item.done', { output_index: 0, item: done }),
    ev('response.completed', { response: response('completed', [done], usage) }),
  ]);
  return [head, deltas, tail];
}

export function messagesAnswer(words: number): Answer {
  const ev = (type: string, fields: object) => sse(type, { type, ...fields });
  const head = Buffer.concat([
    ev('message_start', {
      message: {
        id: 'msg_bench',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-6',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 900, output_tokens: 1 },
      },
    }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ]);
  const deltas = Array.from({ length: words }, () =>
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: word } }),
  );
  const tail = Buffer.concat([
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: words } }),
    ev('message_stop', {}),
  ]);
  return [head, deltas, tail];
}

export function chatAnswer(words: number): Answer {
  const chunk = (delta: object, finish: string | null) =>
    sse(undefined, {
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1_763_900_000,
      model: 'qwen3',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  const head = chunk({ role: 'assistant', content: '' }, null);
  const deltas = Array.from({ length: words }, () => chunk({ content: word }, null));
  const tail = Buffer.concat([
    chunk({}, 'stop'),
    sse(undefined, {
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1_763_900_000,
      model: 'qwen3',
      choices: [],
      usage: { prompt_tokens: 900, completion_tokens: words, total_tokens: 900 + words },
    }),
    Buffer.from('data: [DONE]\n\n'),
  ]);
  return [head, deltas, tail];
}
