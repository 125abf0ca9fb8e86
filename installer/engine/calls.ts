// How an Engine API call's failure is read: the HTTP status dockerode attaches, the engine's own
// message, and the answers that mean "nothing to do" rather than an error.

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** The engine's own words for a failed call (dockerode wraps them as "(HTTP code 400) ... - message"). */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } }).json;
  return (json?.message ?? (error as Error).message ?? String(error)).trim();
}

/** The call's result, or undefined when the engine answers with one of `statuses`; any other failure throws. */
export async function tolerate<T>(call: Promise<T>, statuses: readonly number[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    const status = statusOf(error);
    if (status !== undefined && statuses.includes(status)) return undefined;
    throw error;
  }
}

/**
 * The call's result, or undefined when there is no such container, image, service, secret or
 * config (404), or the engine answers one of the `also` statuses the caller expects (304: already
 * in that state; 409: still in use).
 */
export function notFound<T>(call: Promise<T>, also: readonly number[] = []): Promise<T | undefined> {
  return tolerate(call, [404, ...also]);
}
