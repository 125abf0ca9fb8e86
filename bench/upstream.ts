// A fast OpenAI-format upstream for the benchmarks, run in its own process so its CPU use
// does not land in the load generator's or the proxy's. Every response body is built once at
// start-up: the floor it sets must be as low as node:http allows.
//
//   node bench/upstream.ts [--port 0] [--chunks 20] [--interval-ms 10] [--hold-interval-ms 15000]
//
// POST /v1/chat/completions answers a chat.completion, or with `"stream":true` an SSE stream of
// `--chunks` chunks `--interval-ms` apart. A body containing HOLD_STREAM gets a stream that stays
// open (one chunk every `--hold-interval-ms`) until the client goes: the open-streams test.
// Prints one JSON line `{"port":N}` on stdout once listening.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { serveChild } from './lib/serve-child.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    chunks: { type: 'string', default: '20' },
    'interval-ms': { type: 'string', default: '10' },
    'hold-interval-ms': { type: 'string', default: '15000' },
  },
});
const chunkCount = Number(values.chunks);
const intervalMs = Number(values['interval-ms']);
const holdIntervalMs = Number(values['hold-interval-ms']);

const created = 1_763_900_000;
const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench0000000000000000000000',
    object: 'chat.completion',
    created,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'The quick brown fox jumps over the lazy dog. '.repeat(4).trim(),
          refusal: null,
        },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 24, completion_tokens: 40, total_tokens: 64 },
    system_fingerprint: 'fp_bench',
  }),
);

function sseChunk(delta: object, finishReason: string | null): Buffer {
  const chunk = {
    id: 'chatcmpl-bench0000000000000000000000',
    object: 'chat.completion.chunk',
    created,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  return Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`);
}
const firstChunk = sseChunk({ role: 'assistant', content: '', refusal: null }, null);
const wordChunk = sseChunk({ content: 'word ' }, null);
const lastChunk = sseChunk({}, 'stop');
const done = Buffer.from('data: [DONE]\n\n');

const jsonHeaders = { 'content-type': 'application/json', 'content-length': String(completion.length) };
const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

function stream(res: ServerResponse): void {
  res.writeHead(200, sseHeaders);
  res.write(firstChunk);
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < chunkCount) {
      res.write(wordChunk);
      sent += 1;
      return;
    }
    clearInterval(timer);
    res.write(lastChunk);
    res.end(done);
  }, intervalMs);
  res.on('close', () => clearInterval(timer));
}

function hold(res: ServerResponse): void {
  res.writeHead(200, sseHeaders);
  res.write(firstChunk);
  const timer = setInterval(() => res.write(wordChunk), holdIntervalMs);
  res.on('close', () => clearInterval(timer));
}

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found","type":"invalid_request_error","code":null}}');
    return;
  }
  // A substring test, not JSON.parse: the upstream must stay cheaper than anything it measures.
  if (!body.includes('"stream":true')) {
    res.writeHead(200, jsonHeaders);
    res.end(completion);
  } else if (body.includes('HOLD_STREAM')) {
    hold(res);
  } else {
    stream(res);
  }
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (piece: string) => {
    body += piece;
  });
  req.on('end', () => answer(req, res, body));
});
server.maxConnections = 50_000;
server.headersTimeout = 0;
server.requestTimeout = 0;
serveChild(server, Number(values.port));
