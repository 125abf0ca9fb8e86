// The least a Node proxy can do: node:http in, one undici Pool out, bodies streamed both ways,
// a bearer check and nothing else (no routing, logs, metrics or retries). Benchmarked as
// "node-floor" to show how much of ai-proxy's cost is Node itself and how much its features.
//
//   node bench/forwarder.ts --upstream http://127.0.0.1:PORT [--port 0]
// Prints one JSON line {"port":N} once listening.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { serveChild } from './lib/serve-child.ts';

const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' } } });
if (!values.upstream) throw new Error('forwarder: --upstream is required');
const pool = new Pool(values.upstream, { connections: null, pipelining: 1, keepAliveTimeout: 30_000 });
const expected = 'Bearer bench-token-0123456789abcdef0123456789abcdef';
const upstreamHeaders = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-upstream' };

const server = createServer((req, res) => {
  if (req.headers.authorization !== expected) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"bad token","type":"invalid_request_error","code":"invalid_api_key"}}');
    return;
  }
  pool.request({ method: 'POST', path: req.url ?? '/', headers: upstreamHeaders, body: req }).then(
    (upstream) => {
      res.writeHead(upstream.statusCode, {
        'content-type': String(upstream.headers['content-type'] ?? 'application/json'),
      });
      upstream.body.pipe(res);
      res.on('close', () => upstream.body.destroy());
    },
    () => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"upstream failed","type":"api_error","code":null}}');
    },
  );
});
serveChild(server, Number(values.port));
