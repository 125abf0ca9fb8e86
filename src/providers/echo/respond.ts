// Writes the echo provider's answers in the client's own format, streaming or not.
import { randomId } from '../../random-id.ts';
import type { ServerResponse } from 'node:http';
import type { ClientApi } from '../types.ts';

export interface EchoUsage {
  prompt: number;
  completion: number;
}

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
function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [''];
}

function sse(res: ServerResponse, data: string, event?: string): void {
  res.write(event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

function sendJson(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function respondEcho(
  api: ClientApi,
  body: Record<string, unknown>,
  model: string,
  res: ServerResponse,
): EchoUsage {
  const text = lastUserText(body);
  const usage = { prompt: countTokens(JSON.stringify(body.messages ?? '')), completion: countTokens(text) };
  const stream = body.stream === true;
  const created = Math.floor(Date.now() / 1000);
  if (api === 'chat') {
    const id = `chatcmpl-echo-${randomId()}`;
    const usageObj = {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
    };
    if (!stream) {
      sendJson(res, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: text, refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: usageObj,
      });
      return usage;
    }
    startStream(res);
    const chunk = (delta: object, finish: string | null) =>
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      });
    sse(res, chunk({ role: 'assistant', content: '' }, null));
    for (const p of pieces(text)) sse(res, chunk({ content: p }, null));
    sse(res, chunk({}, 'stop'));
    const opts = body.stream_options as { include_usage?: unknown } | undefined;
    if (opts?.include_usage === true) {
      sse(res, JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageObj }));
    }
    sse(res, '[DONE]');
    res.end();
    return usage;
  }
  // Anthropic Messages
  const id = `msg_echo_${randomId().replace(/-/g, '')}`;
  if (!stream) {
    sendJson(res, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: usage.prompt, output_tokens: usage.completion },
    });
    return usage;
  }
  startStream(res);
  const ev = (type: string, data: object) => sse(res, JSON.stringify({ type, ...data }), type);
  ev('message_start', {
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
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  for (const p of pieces(text)) ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } });
  ev('content_block_stop', { index: 0 });
  ev('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: usage.completion },
  });
  ev('message_stop', {});
  res.end();
  return usage;
}
