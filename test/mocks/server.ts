// The shared core of the mock upstreams: an HTTP server on loopback that records every request
// and answers each one according to the next scripted behaviour (default: a normal answer).
// Used by the integration tests and, later, by the benchmarks as a fast local upstream.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behavior =
  /** A normal answer in the provider's format (JSON or SSE as the request asks). */
  | { kind: 'ok' }
  /** A fixed status with optional headers and body (429 + Retry-After, 500, 401, ...). */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Accept the request and never answer: for timeouts and client-abort tests. */
  | { kind: 'hang' }
  /** Start a normal stream, then destroy the socket after this many events. */
  | { kind: 'reset-after'; events: number }
  /** Send this many events of a normal stream, then stall without ending. */
  | { kind: 'stall-after'; events: number }
  /** Wait before answering normally. */
  | { kind: 'delay'; ms: number }
  /** Stream the first event, then repeat the second as fast as the connection takes it, until closed. */
  | { kind: 'flood' }
  /** A normal JSON answer whose text is `bytes` long, written as fast as the connection takes it. */
  | { kind: 'huge'; bytes: number }
  /** Start an SSE event and never end its line: text as fast as the connection takes it, until closed. */
  | { kind: 'endless-line' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  /** True once the proxy closed this request's connection before the answer was complete. */
  aborted: boolean;
  /** Bytes of a flood answer written so far (how much the proxy took before it stopped reading). */
  flooded: number;
}

export interface Reply {
  /** The JSON body of a non-streaming answer. */
  json(req: RecordedRequest): unknown;
  /** The SSE events of a streaming answer, already formatted ("event: x\ndata: {...}\n\n"). */
  events(req: RecordedRequest): string[];
}

export interface MockUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Behaviours for the next requests, consumed in order. */
  script(...behaviors: Behavior[]): void;
  /**
   * Resolves true once the request at index `request` of `requests` has been aborted by the
   * proxy, false after timeoutMs. One request, never "any": an abort an earlier test caused on
   * this mock must not answer for the request under test.
   */
  waitForAbort(request: number, timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface MockOptions {
  host?: string;
  port?: number;
  /** Per-event delay for streams, in ms (0: write them back to back). */
  eventDelayMs?: number;
  /** Don't record requests (long benchmark runs). */
  record?: boolean;
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      } catch {
        resolve({});
      }
    });
  });
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startMock(
  route: (path: string) => Reply | undefined,
  options: MockOptions = {},
): Promise<MockUpstream> {
  const queue: Behavior[] = [];
  const requests: RecordedRequest[] = [];
  const abortWaiters = new Set<() => void>();
  const sockets = new Set<import('node:net').Socket>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const body = await readJson(req);
    const rec: RecordedRequest = {
      method: req.method ?? '',
      path,
      headers: req.headers,
      body,
      aborted: false,
      flooded: 0,
    };
    if (options.record !== false) requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) {
        rec.aborted = true;
        for (const waiter of abortWaiters) waiter();
      }
    });
    const reply = route(path);
    if (!reply) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { message: `mock: no route ${path}`, type: 'invalid_request_error', code: null } }),
      );
      return;
    }
    const behavior = queue.shift() ?? { kind: 'ok' };
    if (behavior.kind === 'hang') return;
    if (behavior.kind === 'status') {
      const text =
        typeof behavior.body === 'string'
          ? behavior.body
          : JSON.stringify(
              behavior.body ?? {
                error: { message: `mock status ${behavior.status}`, type: 'server_error', code: null },
              },
            );
      res.writeHead(behavior.status, { 'content-type': 'application/json', ...behavior.headers });
      res.end(text);
      return;
    }
    if (behavior.kind === 'delay') await wait(behavior.ms);
    if (behavior.kind === 'huge' || behavior.kind === 'endless-line') {
      await writeEndless(res, rec, reply, behavior);
      return;
    }
    if (body.stream !== true) {
      const text = JSON.stringify(reply.json(rec));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const events = reply.events(rec);
    if (behavior.kind === 'flood') {
      res.write(events[0]);
      const event = Buffer.from(events[1]!);
      while (!res.destroyed) {
        rec.flooded += event.length;
        if (!res.write(event)) await drained(res);
      }
      return;
    }
    for (let i = 0; i < events.length; i++) {
      if (behavior.kind === 'reset-after' && i === behavior.events) {
        // Let the events already written reach the peer first: a reset discards unsent data.
        if (i > 0) await wait(50);
        res.socket?.resetAndDestroy();
        return;
      }
      if (behavior.kind === 'stall-after' && i === behavior.events) return;
      if (res.destroyed) return;
      res.write(events[i]);
      if (options.eventDelayMs) await wait(options.eventDelayMs);
    }
    res.end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error as Error);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    script: (...b) => queue.push(...b),
    waitForAbort: (request, timeoutMs = 5000) =>
      new Promise((resolve) => {
        if (requests[request]?.aborted) return resolve(true);
        const check = () => {
          if (!requests[request]?.aborted) return;
          abortWaiters.delete(check);
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          abortWaiters.delete(check);
          resolve(false);
        }, timeoutMs);
        abortWaiters.add(check);
      }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once the response can take more (or is closed). */
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

/**
 * A JSON answer (huge) or SSE event (endless-line) in the provider's own format whose text goes
 * on and on: the normal answer with a marker text, split at the marker, with filler in between.
 */
async function writeEndless(
  res: ServerResponse,
  rec: RecordedRequest,
  reply: Reply,
  behavior: { kind: 'huge'; bytes: number } | { kind: 'endless-line' },
): Promise<void> {
  const marker = 'MOCK-FILLER';
  const withMarker: RecordedRequest = { ...rec, body: { ...rec.body, messages: [{ role: 'user', content: marker }] } };
  const endless = behavior.kind === 'endless-line';
  const template = endless ? reply.events(withMarker)[1]! : JSON.stringify(reply.json(withMarker));
  const at = template.indexOf(marker);
  const [head, tail] = [template.slice(0, at), template.slice(at + marker.length)];
  const filler = Buffer.alloc(64 * 1024, 'x');
  if (endless) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  else {
    const length = Buffer.byteLength(head) + behavior.bytes + Buffer.byteLength(tail);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
  }
  res.write(head);
  let left = endless ? Number.POSITIVE_INFINITY : behavior.bytes;
  while (left > 0 && !res.destroyed) {
    const piece = left >= filler.length ? filler : filler.subarray(0, left);
    left -= piece.length;
    rec.flooded += piece.length;
    if (!res.write(piece)) await drained(res);
  }
  if (!res.destroyed) res.end(tail);
}

/** The text of the last user message, in either format (string content or text blocks). */
export function lastUserText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: string; content?: unknown }[]) : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return (m.content as { type?: string; text?: string }[])
        .filter((b) => b.type === 'text')
        .map((b) => b.text ?? '')
        .join('');
    }
  }
  return '';
}
