// The upstream for bench/responses.ts, in its own process: the same answer (a response of
// --words words, one text delta each) in three wire formats, built once at start-up, chosen by
// the path's end: /responses (OpenAI Responses events, the tools of the request echoed in
// response.created, in_progress and completed as OpenAI does), /messages (Anthropic events),
// /chat/completions (chat chunks with the usage chunk). The first event goes at once, then one
// every --interval-ms. Prints `{"port":N}` once listening.
//
//   node bench/responses-upstream.ts [--port 0] [--words 40] [--interval-ms 2] [--echo-file F]
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { serveChild } from './lib/serve-child.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    words: { type: 'string', default: '40' },
    'interval-ms': { type: 'string', default: '2' },
    'echo-file': { type: 'string' },
  },
});
const words = Number(values.words);
const intervalMs = Number(values['interval-ms']);
const echoTools = values['echo-file']
  ? ((JSON.parse(readFileSync(values['echo-file'], 'utf8')) as { tools?: unknown[] }).tools ?? [])
  : [];

const sse = (event: string | undefined, data: object) =>
  Buffer.from(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
const word = 'word ';
const text = word.repeat(words);

/** [first events sent at once, then the deltas, then the closing events]. */
type Answer = [Buffer, Buffer[], Buffer];

function responsesAnswer(): Answer {
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

function messagesAnswer(): Answer {
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

function chatAnswer(): Answer {
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

const answers: [string, Answer][] = [
  ['/responses', responsesAnswer()],
  ['/messages', messagesAnswer()],
  ['/chat/completions', chatAnswer()],
];

function stream(res: ServerResponse, [head, deltas, tail]: Answer): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.write(head);
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < deltas.length) {
      res.write(deltas[sent++]);
      return;
    }
    clearInterval(timer);
    res.end(tail);
  }, intervalMs);
  res.on('close', () => clearInterval(timer));
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    const answer = answers.find(([suffix]) => req.url?.split('?')[0]?.endsWith(suffix));
    if (req.method !== 'POST' || !answer) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found","type":"invalid_request_error","code":null}}');
      return;
    }
    stream(res, answer[1]);
  });
});
server.headersTimeout = 0;
server.requestTimeout = 0;
serveChild(server, Number(values.port));
