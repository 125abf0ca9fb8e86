// The memory model's constants: how much one request may hold relative to max_body_bytes, and
// the share of the budget kept for small requests. docs/architecture.md ("Memory model") derives
// the defaults of provider-config.yaml's `server:` section from the container's 512 MiB with them.

/** A parsed body may take at most this many times max_body_bytes of heap (scanJson estimate; 413 beyond). */
export const PARSE_FACTOR = 4;

/**
 * The copies of a body's text a request makes besides the raw bytes and the parsed value: the text
 * decoded for the parser, then the body serialized again for the upstream (or the echo's answer)
 * and its bytes on the way out. Measured: sixteen 9 MiB requests peaked at 5 copies each.
 */
export const TEXT_COPIES = 2;

/**
 * What one request holds at most, in multiples of max_body_bytes: the raw body, its parsed value
 * (up to PARSE_FACTOR) and TEXT_COPIES. Also what one connection may hold at once (HTTP/1.1 pipelining).
 */
export const REQUEST_FACTOR = 1 + PARSE_FACTOR + TEXT_COPIES;

/** The part of the memory budget that only small charges may use. */
export function reserveOf(budgetBytes: number): number {
  return Math.floor(budgetBytes / 8);
}

/** A request sent more body than this after its answer is cut (lingering close), in multiples of max_body_bytes. */
export const LINGER_FACTOR = 8;
/** ... or for longer than this, in ms. */
export const LINGER_MS = 30_000;

/** Log fields that come from clients or upstreams are cut to this many characters. */
export const MAX_LOG_FIELD = 256;
/** An error message in a log line or an answer, at most. */
export const MAX_ERROR_MESSAGE = 1024;
