// The one way the installer waits for the engine (a healthy container, a converged service, a
// finished task, an answering /ping): ask, and if the answer is not there yet, ask again after a
// delay that grows to a ceiling, until a deadline. Kamal's Healthcheck::Poller has the same shape.

export interface PollOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** The first pause between two checks; each later one is twice as long, up to maxDelayMs. */
  delayMs?: number;
  maxDelayMs?: number;
}

/**
 * Calls `check` until it returns a value (anything but undefined) and returns it; undefined when
 * the deadline passes first. A throwing check ends the wait with its error; an aborted signal
 * ends it with the signal's reason. The last check runs at the deadline, not before it.
 */
export async function poll<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T | undefined> {
  const { timeoutMs, signal } = options;
  const deadline = Date.now() + timeoutMs;
  const maxDelay = options.maxDelayMs ?? options.delayMs ?? 500;
  let delay = options.delayMs ?? 500;
  for (;;) {
    if (signal?.aborted) throw signal.reason;
    const value = await check();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(delay, left), signal);
    delay = Math.min(delay * 2, maxDelay);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
