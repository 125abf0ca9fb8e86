// Cancels the upstream side of a request when its client goes away. An EventEmitter is enough
// for undici (it accepts one as `signal`) and costs far less per request than AbortController.
import { EventEmitter } from 'node:events';

export class ClientAbort extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/** Waits ms; resolves false at once if the client goes away first. */
export function sleepUnlessAborted(ms: number, abort: ClientAbort): Promise<boolean> {
  if (abort.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      abort.off('abort', onAbort);
      resolve(true);
    }, ms);
    abort.once('abort', onAbort);
  });
}
