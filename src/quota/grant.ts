// How limits stay correct across replicas without a database round trip per request.
//
// Every limit of a key is a counter: (key, metric, window) where the window is the current
// minute (rpm, tpm) or budget period. The store holds each counter's committed `used` and, per
// proxy process ("holder"), a lease: an allowance that process may spend beyond `used` without
// asking again. A process admits requests against its own lease in memory, adds what they cost
// to a local `pending`, and every second flushes `pending` into `used` (shrinking its lease by
// as much). Only when its lease runs out does a request wait for one transaction that flushes,
// locks the counter row and grants a new lease out of what nobody has used or leased:
//
//   available = limit - used - (leases of the other holders)      granted: a share of it
//
// Grants never add up to more than the limit, so the only overspend is what requests admitted
// while their process still had allowance cost beyond it: requests are admitted while a lease
// is not exhausted, and their cost (tokens, money) is known only when they finish. With one
// request at a time per process that is at most one request per process; in general, one per
// request in flight at the moment the limit is reached. Request counts (rpm) are taken at
// admission and never overshoot.
//
// Per-minute limits use a sliding window: the previous minute's count weighs in for the part of
// it still inside the last 60 s, so a client cannot send 2x the limit across a minute boundary.
// This module is the arithmetic; both back ends call it inside their transaction.

export const QUOTA_METRICS = ['rpm', 'tpm', 'budget', 'token_budget'] as const;
export type QuotaMetric = (typeof QUOTA_METRICS)[number];

export const MINUTE_MS = 60_000;

export function isPerMinute(metric: QuotaMetric): boolean {
  return metric === 'rpm' || metric === 'tpm';
}

/** The counter a limit is kept in: the key, what is counted, and when the window began. */
export interface CounterRef {
  keyId: string;
  metric: QuotaMetric;
  /** Window start, ms since the epoch (minute start, budget period start, 0 for `total`). */
  window: number;
}

export interface LeaseRequest {
  holder: string;
  ref: CounterRef;
  limit: number;
  /** This holder's usage not flushed yet: committed in the same transaction, before the grant. */
  pending: number;
  now: number;
  leaseMs: number;
}

export interface LeaseGrant {
  /** Committed usage of the window (this holder's pending included). */
  used: number;
  /** Usage of the previous minute (per-minute limits only; 0 otherwise). */
  previousUsed: number;
  /** Leases other holders still hold. */
  others: number;
  /** How many other holders have a lease. */
  otherHolders: number;
  /** The new allowance of this holder (0: the limit is reached). */
  grant: number;
}

/** The limit in force at `now`: per-minute limits discount the previous minute's tail. */
export function effectiveLimit(
  metric: QuotaMetric,
  limit: number,
  previousUsed: number,
  window: number,
  now: number,
): number {
  if (!isPerMinute(metric)) return limit;
  const elapsed = Math.min(1, Math.max(0, (now - window) / MINUTE_MS));
  return limit - previousUsed * (1 - elapsed);
}

/**
 * The allowance to grant: half of what is available when no other process holds a lease (so a
 * second replica arriving later still finds some), else an even share of half of it. Request
 * counts are granted in whole requests.
 */
export function computeGrant(
  metric: QuotaMetric,
  state: Omit<LeaseGrant, 'grant'>,
  limit: number,
  window: number,
  now: number,
): number {
  const available = effectiveLimit(metric, limit, state.previousUsed, window, now) - state.used - state.others;
  const whole = Math.floor(available);
  if (whole < 1) return 0;
  const share = Math.ceil(available / (2 * (state.otherHolders + 1)));
  return Math.min(whole, Math.max(1, share));
}

/**
 * Seconds until a per-minute limit lets `need` more through, assuming nobody else takes any:
 * later in this window (the previous minute's weight fades) or in the next one.
 */
export function secondsUntilRoom(
  limit: number,
  usedNow: number,
  previousUsed: number,
  window: number,
  now: number,
  need: number,
): number {
  const fractionNow = Math.min(1, Math.max(0, (now - window) / MINUTE_MS));
  let at: number; // ms since epoch when there is room
  if (usedNow + need <= limit) {
    // Room once the previous minute's weight has faded enough: prev*(1-f) <= limit - used - need.
    const f = previousUsed > 0 ? 1 - (limit - usedNow - need) / previousUsed : 0;
    at = window + Math.max(f, fractionNow) * MINUTE_MS;
  } else {
    // Not in this window: in the next one this window's usage weighs usedNow*(1-f).
    const f = usedNow > 0 ? Math.max(0, 1 - (limit - need) / usedNow) : 0;
    at = window + MINUTE_MS + f * MINUTE_MS;
  }
  return Math.max(1, Math.ceil((at - now) / 1000));
}
