// HTTP/1.1 on raw sockets, as an attacker writes it: requests no client library would send
// (15 KB paths, quotes in the path, giant headers), floods over keep-alive connections, and
// clients that send a request and then never read the answer.
import { connect, type Socket } from 'node:net';

export interface FloodResult {
  requests: number;
  /** Responses by status code. */
  statuses: Record<number, number>;
  /** Connections that failed (reset, refused) instead of answering. */
  connectionErrors: number;
  seconds: number;
}

interface Parsed {
  status: number;
  /** Bytes of the buffer this response used, or -1 when it is not complete yet. */
  used: number;
  close: boolean;
}

/** Parses one response from the start of buf (content-length or chunked bodies). */
function parseResponse(buf: Buffer): Parsed | undefined {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const head = buf.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const close = /\r\nconnection:\s*close/i.test(head);
  const bodyStart = headEnd + 4;
  if (length) {
    const end = bodyStart + Number(length[1]);
    return { status, used: buf.length >= end ? end : -1, close };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const end = buf.indexOf('\r\n0\r\n\r\n', bodyStart - 2);
    return { status, used: end === -1 ? -1 : end + 7, close };
  }
  return { status, used: -1, close: true }; // read until the server closes
}

/** One keep-alive connection that sends requests one after another and reads each answer. */
class Connection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private waiter: ((r: { status: number } | Error) => void) | undefined;

  constructor(private readonly port: number) {}

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect(this.port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
      s.on('data', (c: Buffer) => this.onData(c));
      s.on('close', () => {
        if (this.socket === s) this.socket = undefined;
        const parsed = parseResponse(this.buffer);
        const w = this.waiter;
        this.waiter = undefined;
        this.buffer = Buffer.alloc(0);
        if (w) w(parsed && parsed.used === -1 ? { status: parsed.status } : new Error('connection closed'));
      });
      s.on('error', () => {});
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const parsed = parseResponse(this.buffer);
    if (!parsed || parsed.used === -1) return;
    this.buffer = this.buffer.subarray(parsed.used);
    if (parsed.close) this.socket?.destroy();
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ status: parsed.status });
  }

  async send(request: string | Buffer): Promise<number> {
    this.socket ??= await this.open();
    const answered = new Promise<{ status: number } | Error>((resolve) => (this.waiter = resolve));
    this.socket.write(request);
    const r = await answered;
    if (r instanceof Error) throw r;
    return r.status;
  }

  close(): void {
    this.socket?.destroy();
  }
}

/** Sends `count` requests over `concurrency` keep-alive connections, as fast as they are answered. */
export async function flood(
  port: number,
  count: number,
  concurrency: number,
  request: (i: number) => string | Buffer,
): Promise<FloodResult> {
  const result: FloodResult = { requests: 0, statuses: {}, connectionErrors: 0, seconds: 0 };
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    const conn = new Connection(port);
    while (next < count) {
      const i = next++;
      try {
        const status = await conn.send(request(i));
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
      } catch {
        result.connectionErrors++;
      }
      result.requests++;
    }
    conn.close();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.seconds = (performance.now() - start) / 1000;
  return result;
}

/** One request on a fresh connection; resolves with the status (0 if the connection failed). */
export async function rawRequest(port: number, request: string | Buffer): Promise<number> {
  const conn = new Connection(port);
  try {
    return await conn.send(request);
  } catch {
    return 0;
  } finally {
    conn.close();
  }
}

/**
 * Sends a request and never reads: the answer piles up in the kernel's buffers and then in the
 * proxy's, as with a client that stopped reading. closed() resolves when the proxy gives up.
 */
export function nonReader(port: number, request: string | Buffer): { closed: Promise<void>; destroy(): void } {
  const s = connect(port, '127.0.0.1', () => {
    s.write(request);
    s.pause();
  });
  s.on('error', () => {});
  return { closed: new Promise((resolve) => s.once('close', () => resolve())), destroy: () => s.destroy() };
}

export function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Buffer {
  const head =
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), typeof body === 'string' ? Buffer.from(body) : body]);
}
