// Large store operations in parts. SQLite runs on the event loop: a flush of 9,000 counters in
// one transaction stalled it for 70-240 ms (a 2-core build machine), so large ones go in parts
// of about 5-10 ms each, with requests served between them.

/** Counters in one store transaction at most. */
export const PART = 64;

/** Lets the event loop serve what waits (requests, sockets) between two parts. */
const yieldToRequests = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `each` over `items` in parts of PART, yielding between parts; `last` is true for the
 * final part. With `atLeastOnce`, an empty list still makes one (empty, last) call.
 */
export async function inParts<T>(
  items: T[],
  each: (part: T[], offset: number, last: boolean) => Promise<void>,
  atLeastOnce = false,
): Promise<void> {
  for (let i = 0; i < items.length || (atLeastOnce && i === 0); i += PART) {
    if (i > 0) await yieldToRequests();
    await each(items.slice(i, i + PART), i, i + PART >= items.length);
  }
}
