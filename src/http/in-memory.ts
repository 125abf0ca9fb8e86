// Drives the request handler in memory, the way hono's app.request() does: node:http's own
// IncomingMessage and ServerResponse over a socket that only collects bytes, so routing, auth and
// error bodies are tested exactly, with no port. For tests only (nothing in the proxy imports it).
import { IncomingMessage, type RequestListener, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { buildRoutes, type LoadedConfig, resolveProviders } from '../config/load.ts';
import { validateEnv } from '../config/env.ts';
import { parseProviderConfig } from '../config/provider-config.ts';
import { Logger } from '../observability/logger.ts';
import { compileRuntime } from '../proxy/runtime.ts';
import { PoolSet } from '../upstream/pools.ts';
import { ProxyApp } from './app.ts';

export const TEST_TOKEN = 'in-memory-test-token-0123456789abcdef';

export interface InMemoryRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as is; an object is sent as JSON. content-length is added unless given. */
  body?: string | Buffer | object;
}

export interface InMemoryResponse {
  status: number;
  /** Lower-case names, as a client sees them on the wire. */
  headers: Record<string, string>;
  body: string;
  json(): unknown;
}

/** A ProxyApp for this provider-config.yaml text, with AUTH_TOKEN=TEST_TOKEN unless vars say otherwise. */
export function inMemoryApp(yaml: string, vars: Record<string, string> = {}, logger = new Logger('silent')): ProxyApp {
  const cfg = parseProviderConfig(yaml, 'provider-config.yaml');
  const all = { AUTH_TOKEN: TEST_TOKEN, ...vars };
  const config: LoadedConfig = {
    dir: '',
    env: validateEnv(all),
    vars: all,
    providers: resolveProviders(cfg, all),
    routes: buildRoutes(cfg),
    server: cfg.server,
    warnings: [],
  };
  return new ProxyApp(compileRuntime(config, new PoolSet()), { logger });
}

/** One request through the handler; resolves once the response is complete and closed. */
export function requestInMemory(
  handler: RequestListener,
  url: string,
  init: InMemoryRequest = {},
): Promise<InMemoryResponse> {
  const wire: Buffer[] = [];
  const socket = new Writable({
    write(chunk: Buffer, _encoding, done) {
      wire.push(chunk);
      done();
    },
  });
  const req = incoming(socket as unknown as Socket, url, init);
  const res = new ServerResponse(req);
  res.assignSocket(socket as unknown as Socket);
  // What node:http's server does once a response is sent: let go of the socket, then 'close'.
  res.once('finish', () => {
    res.detachSocket(socket as unknown as Socket);
    process.nextTick(() => res.emit('close'));
  });
  return new Promise((resolve) => {
    handler(req, res);
    res.once('close', () => resolve(parseResponse(Buffer.concat(wire))));
  });
}

/** A fetch for the openai and @anthropic-ai/sdk clients' `fetch` option that calls the handler in memory. */
export function fetchInMemory(handler: RequestListener): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const headers = Object.fromEntries(request.headers);
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
    const { pathname, search } = new URL(request.url);
    const r = await requestInMemory(handler, pathname + search, { method: request.method, headers, body });
    return new Response(r.body === '' ? null : r.body, { status: r.status, headers: r.headers });
  };
}

function incoming(socket: Socket, url: string, init: InMemoryRequest): IncomingMessage {
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === 'string' || Buffer.isBuffer(init.body)
        ? Buffer.from(init.body)
        : Buffer.from(JSON.stringify(init.body));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value;
  if (body !== undefined) headers['content-length'] ??= String(body.length);
  const req = new IncomingMessage(socket);
  req.method = init.method ?? (body === undefined ? 'GET' : 'POST');
  req.url = url;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.headers = headers;
  req.rawHeaders = Object.entries(headers).flat();
  if (body !== undefined && body.length > 0) req.push(body);
  // As node:http's parser does at the end of a message; without it, IncomingMessage takes its
  // end for the client going away.
  req.complete = true;
  req.push(null);
  return req;
}

/** Status line, headers and body (chunked transfer encoding undone) of an HTTP/1.1 response. */
function parseResponse(raw: Buffer): InMemoryResponse {
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.toString('latin1', 0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  const text = body.toString('utf8');
  return { status: Number(statusLine.split(' ')[1]), headers, body: text, json: () => JSON.parse(text) };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    const size = Number.parseInt(data.toString('latin1', at, lineEnd), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
