// A lingering close, as nginx does it: when the answer goes out before the request body was read
// (401, 413, 429, 503), keep reading and discarding the body so the client can finish sending
// and read the answer; destroying the socket at once makes clients that are still writing see
// EPIPE or a reset instead (the openai SDK reports "Connection error." and sends it all again).
// Bounded in bytes and time: then the connection is closed.
import type { IncomingMessage } from 'node:http';

export function lingerOnBody(req: IncomingMessage, maxBytes: number, maxMs: number): void {
  if (req.complete) return;
  let discarded = 0;
  const cut = (): void => {
    done();
    req.socket.destroy();
  };
  const timer = setTimeout(cut, maxMs);
  timer.unref();
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > maxBytes) cut();
  };
  const done = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', done);
    req.off('close', done);
  };
  req.on('data', onData);
  req.once('end', done);
  req.once('close', done);
  req.resume();
}
