// A finished request as its ledger row: who (the key's id; none for AUTH_TOKEN), what it used,
// what it cost and how it went.
import type { FailedAttempt, LedgerRow } from '../ledger/row.ts';
import type { Usage } from '../translate/types.ts';
import type { Principal } from './gateway.ts';

/** A request as the ledger records it, once its response is over. */
export interface FinishedRequest {
  requestId: string;
  /** ms since the epoch. */
  startedAt: number;
  endpoint: string;
  route: string;
  provider: string;
  model: string;
  stream: boolean;
  status: number;
  usage: Usage | undefined;
  latencyMs: number;
  ttfbMs: number | undefined;
  error: string | undefined;
  /** Upstream attempts that failed before the answer (retries, fallbacks). */
  attempts?: FailedAttempt[] | undefined;
}

/** An upstream's error message can be long; the row keeps its first line's worth. */
const MAX_ERROR = 500;

export function ledgerRow(p: Principal, r: FinishedRequest, costNano: number | null): LedgerRow {
  const u = r.usage;
  return {
    ts: Math.round(r.startedAt),
    requestId: r.requestId,
    keyId: p.kind === 'key' ? p.key.record.id : null,
    endpoint: r.endpoint,
    route: r.route,
    provider: r.provider,
    model: r.model,
    stream: r.stream,
    status: r.status,
    inputTokens: u?.prompt ?? 0,
    outputTokens: u?.completion ?? 0,
    cachedTokens: u?.cached ?? 0,
    costNano,
    latencyMs: Math.round(r.latencyMs * 10) / 10,
    ttfbMs: r.ttfbMs === undefined ? null : Math.round(r.ttfbMs * 10) / 10,
    error: r.error === undefined ? null : r.error.slice(0, MAX_ERROR),
    attempts: r.attempts ?? null,
  };
}
