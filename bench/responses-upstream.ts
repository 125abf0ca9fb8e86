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
import { type Answer, chatAnswer, messagesAnswer, responsesAnswer } from './lib/responses-answers.ts';
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

const answers: [string, Answer][] = [
  ['/responses', responsesAnswer(words, echoTools)],
  ['/messages', messagesAnswer(words)],
  ['/chat/completions', chatAnswer(words)],
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
