// Writes the echo provider's answers in the client's own format, streaming or not. A stream is
// generated one event at a time and written only as fast as the client reads it: a 10 MiB
// message of short words is millions of events, which must never pile up in memory.
import type { ServerResponse } from 'node:http';
import { randomId } from '../../random-id.ts';
import type { ClientApi } from '../types.ts';

export interface EchoUsage {
  prompt: number;
  completion: number;
}

/** A streamed piece of text is at most this long, so no event grows with the message. */
const MAX_PIECE = 256;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) =>
      part && typeof part === 'object' && (part as { type?: unknown }).type === 'text'
        ? String((part as { text?: unknown }).text ?? '')
        : '',
    )
    .join('');
}

/** The text of the last user message of a chat or messages request. */
export function lastUserText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.role === 'user') return textOf(m.content);
  }
  return typeof body.prompt === 'string' ? body.prompt : '';
}

/** A word-ish token count, enough to make usage numbers meaningful in tests and demos. */
export function countTokens(text: string): number {
  const word = /\S+/g;
  let n = 0;
  while (word.exec(text) !== null) n++;
  return n;
}

/** The text as streamed: word by word (with the space after it), no piece over MAX_PIECE. */
export function* pieces(text: string): Generator<string> {
  const word = /\S+\s*|\s+/g;
  let m: RegExpExecArray | null;
  let any = false;
  while ((m = word.exec(text)) !== null) {
    any = true;
    for (let i = 0; i < m[0].length; i += MAX_PIECE) yield m[0].slice(i, i + MAX_PIECE);
  }
  if (!any) yield '';
}

const sse = (data: string, event?: string) => (event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);

function* chatEvents(body: Record<string, unknown>, text: string, model: string, usage: EchoUsage) {
  const id = `chatcmpl-echo-${randomId()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: object, finish: string | null) =>
    JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  yield sse(chunk({ role: 'assistant', content: '' }, null));
  for (const p of pieces(text)) yield sse(chunk({ content: p }, null));
  yield sse(chunk({}, 'stop'));
  const opts = body.stream_options as { include_usage?: unknown } | undefined;
  if (opts?.include_usage === true) {
    const usageObj = {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
    };
    yield sse(JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageObj }));
  }
  yield sse('[DONE]');
}

function* messagesEvents(text: string, model: string, usage: EchoUsage) {
  const id = `msg_echo_${randomId().replace(/-/g, '')}`;
  const ev = (type: string, data: object) => sse(JSON.stringify({ type, ...data }), type);
  yield ev('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.prompt, output_tokens: 0 },
    },
  });
  yield ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  for (const p of pieces(text)) yield ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } });
  yield ev('content_block_stop', { index: 0 });
  yield ev('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: usage.completion },
  });
  yield ev('message_stop', {});
}

function answer(api: ClientApi, text: string, model: string, usage: EchoUsage): unknown {
  if (api === 'chat')
    return {
      id: `chatcmpl-echo-${randomId()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: usage.prompt,
        completion_tokens: usage.completion,
        total_tokens: usage.prompt + usage.completion,
      },
    };
  return {
    id: `msg_echo_${randomId().replace(/-/g, '')}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.prompt, output_tokens: usage.completion },
  };
}

/** Resolves once the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes the events as the client takes them; stops when the client leaves. */
async function writeStream(res: ServerResponse, events: Iterable<string>): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const event of events) {
    if (res.destroyed) return;
    if (!res.write(event)) await drained(res);
  }
  if (!res.destroyed) res.end();
}

/** Answers like an upstream would; resolves once the answer is written (or the client is gone). */
export async function respondEcho(
  api: ClientApi,
  body: Record<string, unknown>,
  model: string,
  res: ServerResponse,
): Promise<EchoUsage> {
  const text = lastUserText(body);
  const usage = { prompt: countTokens(JSON.stringify(body.messages ?? '')), completion: countTokens(text) };
  if (body.stream === true) {
    await writeStream(res, api === 'chat' ? chatEvents(body, text, model, usage) : messagesEvents(text, model, usage));
    return usage;
  }
  const json = JSON.stringify(answer(api, text, model, usage));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
  return usage;
}
