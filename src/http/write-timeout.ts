// The write timeout of every response (nginx's send_timeout): a response with bytes waiting for
// its client, whose client has taken none of them for write_timeout, is cut and its memory let
// go. One sweep per second over the responses in progress, not a timer per write; a client that
// reads, however slowly, is never cut.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface Progress {
  /** Bytes waiting (the socket's libuv queue, or its stream buffer) and bytes written, when last seen. */
  mark: string;
  since: number;
}

/** What the kernel has not taken yet: libuv's write queue when the socket has one (TCP, TLS), else the stream's buffer. */
function waiting(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { writeQueueSize?: number } | null })._handle;
  return handle?.writeQueueSize ?? socket.writableLength;
}

export class WriteTimeout {
  private readonly seen = new WeakMap<ServerResponse, Progress>();

  /** Cuts the stalled responses among `responses`; returns how many were cut. */
  sweep(responses: Iterable<ServerResponse>, timeoutMs: number, now = performance.now()): number {
    let cut = 0;
    for (const res of responses) {
      const socket = res.socket;
      if (!socket || socket.destroyed) continue;
      const pending = waiting(socket);
      if (pending === 0) {
        this.seen.delete(res);
        continue;
      }
      // The same bytes waiting and nothing new written: the client took nothing since `since`.
      const mark = `${pending}:${socket.bytesWritten}`;
      const last = this.seen.get(res);
      if (!last || last.mark !== mark) this.seen.set(res, { mark, since: now });
      else if (now - last.since >= timeoutMs) {
        socket.destroy();
        this.seen.delete(res);
        cut++;
      }
    }
    return cut;
  }
}
