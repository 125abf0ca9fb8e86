// One limit counter as a proxy process sees it: its lease from the store, what it used since the
// last flush, and the last state of the counter the store reported. The room checks are here so
// the limiter reads as the scheme (grant.ts) and its timing.
import { effectiveLimit, isPerMinute, type LeaseGrant, MINUTE_MS, type CounterRef } from './grant.ts';

export interface Counter {
  ref: CounterRef;
  limit: number;
  /** This process's lease: what it may use beyond the committed count. */
  allowance: number;
  /** Used here and not yet written to the store. */
  pending: number;
  /** The lease is trusted until then (renewed by every successful store call). */
  validUntil: number;
  lastUse: number;
  known: Omit<LeaseGrant, 'grant'>;
  /** `known` comes from the store (or from this counter's previous window), not from nothing. */
  informed: boolean;
  /** The store holds a lease of this process on the counter (given back when idle). */
  leased: boolean;
  acquiring: Promise<void> | undefined;
  /** The allowance was computed here after a store failure, not granted: never renewed, only replaced. */
  degraded: boolean;
}

export const counterKey = (r: CounterRef) => `${r.keyId}\u0000${r.metric}\u0000${r.window}`;

export function newCounter(ref: CounterRef, limit: number, now: number, previous: Counter | undefined): Counter {
  const c: Counter = {
    ref,
    limit,
    allowance: 0,
    pending: 0,
    validUntil: 0,
    lastUse: now,
    known: { used: 0, previousUsed: 0, others: 0, otherHolders: 0 },
    informed: false,
    leased: false,
    acquiring: undefined,
    degraded: false,
  };
  // A new minute of a per-minute limit starts from what the last one was seen to hold: its usage
  // weighs in the sliding window, and what other processes had leased counts as used.
  if (previous?.informed) {
    const p = previous.known;
    c.known = { used: 0, previousUsed: p.used + p.others + previous.pending, others: 0, otherHolders: p.otherHolders };
    c.informed = true;
  }
  return c;
}

/** The counter of the minute before `ref`'s, for per-minute limits. */
export function previousRef(ref: CounterRef): CounterRef | undefined {
  return isPerMinute(ref.metric) ? { ...ref, window: ref.window - MINUTE_MS } : undefined;
}

/** The lease admits one more request: a whole request for rpm, any room left for amounts. */
export function hasRoom(c: Counter, now: number): boolean {
  if (now >= c.validUntil) return false;
  return fits(c, c.allowance);
}

/**
 * A counter whose lease was given back (idle) or not taken yet (a new minute): the last state
 * the store reported leaves room for one more request beyond what this process used since.
 * Other processes' use since then is unknown, hence only one such request per counter while
 * its lease is being taken (see limiter.ts). A counter holding a lease asks the store instead.
 */
export function seenRoom(c: Counter, now: number): boolean {
  if (!c.informed || c.leased || c.degraded) return false;
  const { used, others, previousUsed } = c.known;
  return fits(c, effectiveLimit(c.ref.metric, c.limit, previousUsed, c.ref.window, now) - used - others);
}

function fits(c: Counter, room: number): boolean {
  return c.ref.metric === 'rpm' ? c.pending + 1 <= room : c.pending < room;
}

/** After a store failure, alone with the last state seen: what nobody had used or leased then, minus what we used since, for retryMs. */
export function enforceAlone(c: Counter, now: number, retryMs: number): void {
  const { used, others } = c.known;
  const left = effectiveLimit(c.ref.metric, c.limit, c.known.previousUsed, c.ref.window, now) - used - others;
  c.allowance = Math.max(c.pending, Math.floor(left));
  c.validUntil = now + retryMs;
  c.degraded = true;
}

/** Whether a per-minute counter's minute is over. */
export function windowOver(c: Counter, now: number): boolean {
  return isPerMinute(c.ref.metric) && now - c.ref.window >= MINUTE_MS;
}

/** A lease granted with `committed` of the pending usage: its allowance and the store's state, trusted until `validUntil`. */
export function leaseGranted(c: Counter, granted: LeaseGrant, committed: number, validUntil: number): void {
  const { grant, ...known } = granted;
  c.pending -= committed;
  c.allowance = grant;
  c.known = known;
  c.validUntil = validUntil;
  c.degraded = false;
  c.informed = true;
  c.leased = true;
}

/** `delta` of the pending usage written to the store: it came out of the lease. */
export function usageWritten(c: Counter, delta: number): void {
  c.pending -= delta;
  c.allowance = Math.max(0, c.allowance - delta);
  c.known.used += delta;
}

/** The lease given back; the counter is kept, and the state seen admits the key's next request at once. */
export function leaseReturned(c: Counter): void {
  c.leased = false;
  c.allowance = 0;
  c.validUntil = 0;
}

/**
 * Whether a lease can go back to the store: nothing pending or being acquired, and its key idle
 * for `idleMs`, its minute over, or `all` (shutdown).
 */
export function leaseDone(c: Counter, now: number, idleMs: number, all: boolean): boolean {
  return c.leased && c.pending === 0 && !c.acquiring && (all || now - c.lastUse > idleMs || windowOver(c, now));
}

/**
 * Whether a counter can be dropped from memory: no lease, nothing pending or being acquired, not
 * enforcing alone after a store failure, and its minute long over or its key unused for `forgetMs`.
 */
export function forgettable(c: Counter, now: number, forgetMs: number): boolean {
  if (c.leased || c.pending !== 0 || c.acquiring) return false;
  if (c.degraded && now < c.validUntil) return false;
  return isPerMinute(c.ref.metric) ? now - c.ref.window >= 2 * MINUTE_MS : now - c.lastUse > forgetMs;
}
