// The plain-HTTP listener on HTTP_PORT next to HTTPS: ACME HTTP-01 answers, the container's
// health probe (loopback clients only) and a 308 to HTTPS for everything else, so no request
// is ever served, nor a token accepted, in clear text.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopback } from '../http/loopback.ts';

export const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

export interface HttpPortHandlers {
  /** The key authorization for an HTTP-01 token, if an order is waiting on it. */
  challenge(token: string): string | undefined;
  /** Ready to serve (certificate loaded, a provider usable, not draining). */
  ready(): boolean;
  /** The full /health body and whether it is an error, for loopback callers. */
  health(): { status: string; body: string };
  publicHttpsPort: number;
}

const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/**
 * Where a request to the HTTP port is sent: the same host and path over HTTPS. Undefined when
 * the Host header is missing or malformed (no redirect to a name the client did not ask for).
 */
export function redirectLocation(host: string | undefined, url: string, publicHttpsPort: number): string | undefined {
  const m = host === undefined ? null : HOST.exec(host.trim());
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  const port = publicHttpsPort === 443 ? '' : `:${publicHttpsPort}`;
  const path = url.startsWith('/') ? url : '/';
  return `https://${name}${port}${path}`;
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain',
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

export function handleHttpPort(req: IncomingMessage, res: ServerResponse, h: HttpPortHandlers): void {
  const url = req.url ?? '/';
  const path = url.split('?', 1)[0]!;
  const get = req.method === 'GET' || req.method === 'HEAD';
  if (path.startsWith(CHALLENGE_PREFIX) && get) {
    const answer = h.challenge(path.slice(CHALLENGE_PREFIX.length));
    return answer === undefined ? send(res, 404, 'no such challenge\n') : send(res, 200, answer);
  }
  if (get && isLoopback(req.socket.remoteAddress)) {
    if (path === '/health/live') return send(res, 200, '{"status":"ok"}', 'application/json');
    if (path === '/health/ready') {
      const ready = h.ready();
      return send(res, ready ? 200 : 503, ready ? '{"status":"ready"}' : '{"status":"not ready"}', 'application/json');
    }
    if (path === '/health') {
      const r = h.health();
      return send(res, r.status === 'error' ? 503 : 200, r.body, 'application/json');
    }
  }
  const location = redirectLocation(req.headers.host, url, h.publicHttpsPort);
  if (location === undefined)
    return send(res, 400, 'this port only redirects to HTTPS; send a Host header\n', 'text/plain', {
      connection: 'close',
    });
  // 308 keeps the method and body, but a client that sent its token here already leaked it:
  // close so nothing more is read in clear text.
  send(res, 308, `use ${location}\n`, 'text/plain', { location, connection: 'close' });
}

export function startHttpPort(
  port: number,
  host: string,
  h: HttpPortHandlers,
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) =>
    handleHttpPort(req, res, h),
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, address: server.address() as AddressInfo });
    });
  });
}
