// One ledger row per API request: who asked (key), for what (route, provider, upstream model),
// what it cost (tokens, money) and how it went (status, latency, time to first byte).

export interface LedgerRow {
  /** When the request arrived, ms since the epoch. */
  ts: number;
  requestId: string;
  /** The client key's id; null for the administrator's AUTH_TOKEN. */
  keyId: string | null;
  /** The API path (`/v1/chat/completions`). */
  endpoint: string;
  /** The public model name the client asked for, when it named a configured one; else "". */
  route: string;
  /** The provider that answered (or was tried last); "" when none was reached. */
  provider: string;
  /** The upstream model name at that provider; "" when none was reached. */
  model: string;
  stream: boolean;
  /** The status the client got (499: the client went away first). */
  status: number;
  /** Prompt tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens read from the provider's cache (a part of inputTokens). */
  cachedTokens: number;
  /** Nano-units of the price table's currency; null: the model has no price (unpriced, not free). */
  costNano: number | null;
  latencyMs: number;
  /** Time until the upstream's response headers; null when no upstream answered. */
  ttfbMs: number | null;
  /** One line on what went wrong, when something did. */
  error: string | null;
  /**
   * Upstream attempts that failed before the answer (retries and fallbacks), oldest first;
   * null when the first attempt answered or none was made.
   */
  attempts?: FailedAttempt[] | null;
}

/** An upstream attempt that did not answer: where it went, what the client would have seen, how long it took. */
export interface FailedAttempt {
  provider: string;
  model: string;
  status: number;
  error: string;
  ms: number;
}

/** At most this many attempts are kept per row (retries times targets is bounded by the config). */
export const MAX_ATTEMPTS_KEPT = 20;

/** The ledger columns in one order, shared by both back ends' INSERTs. */
export const LEDGER_COLUMNS = [
  'ts',
  'request_id',
  'key_id',
  'endpoint',
  'route',
  'provider',
  'model',
  'stream',
  'status',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'cost_nano',
  'latency_ms',
  'ttfb_ms',
  'error',
  'attempts',
] as const;

/** The row's values in LEDGER_COLUMNS order (booleans as 0/1: both back ends store an integer). */
export function rowValues(r: LedgerRow): (string | number | null)[] {
  return [
    r.ts,
    r.requestId,
    r.keyId,
    r.endpoint,
    r.route,
    r.provider,
    r.model,
    r.stream ? 1 : 0,
    r.status,
    r.inputTokens,
    r.outputTokens,
    r.cachedTokens,
    r.costNano,
    r.latencyMs,
    r.ttfbMs,
    r.error,
    r.attempts?.length ? JSON.stringify(r.attempts.slice(0, MAX_ATTEMPTS_KEPT)) : null,
  ];
}
