// The store: keys, the usage ledger and the limit counters, in SQLite (one host, node:sqlite) or
// PostgreSQL (several replicas, DATABASE_URL). Both back ends implement this one interface and
// run the same schema version; callers never see SQL.
import type { KeyRecord } from '../keys/types.ts';
import type { LedgerRow } from '../ledger/row.ts';
import type {
  QuantileGroup,
  QuantileQuery,
  RequestPage,
  RequestQuery,
  UsageGroup,
  UsageQuery,
} from '../ledger/query.ts';
import type { CounterRef, LeaseGrant, LeaseRequest } from '../quota/grant.ts';

export type StoreKind = 'sqlite' | 'postgres';

/** A store that cannot be opened or used: the message says what and what to do. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

/**
 * True for a StoreError from either bundle: the PostgreSQL store is a separately evaluated
 * file in the release executable with its own copy of the class, so `instanceof` would miss.
 */
export function isStoreError(error: unknown): error is StoreError {
  return error instanceof Error && error.name === 'StoreError';
}

export interface KeyChanges {
  version: number;
  keys: KeyRecord[];
  more: boolean;
}

/** Keys loaded per query: a proxy with 10,000 keys loads them in pages, not in one allocation. */
export const KEY_PAGE = 1000;

export interface QuotaFlush {
  ref: CounterRef;
  /** Usage to add to the counter; this holder's lease shrinks by as much. */
  delta: number;
}

export interface Store {
  readonly kind: StoreKind;
  /** Where the data is: a file path, or the database URL without its password. */
  readonly location: string;

  // Keys. Every change bumps one version counter in the same transaction, so a proxy polls
  // one number and loads only the rows that changed.
  keysVersion(): Promise<number>;
  /**
   * Up to `limit` keys changed after `version` (revoked ones included), oldest change first, the
   * version they bring the caller to, and whether more changes follow (ask again from there).
   */
  keysChangedSince(version: number, limit?: number): Promise<KeyChanges>;
  listKeys(): Promise<KeyRecord[]>;
  findKey(ref: { id?: string; name?: string; hash?: string }): Promise<KeyRecord | undefined>;
  /** Inserts the key with the next version; throws StoreError on a duplicate name, id or hash. */
  insertKey(key: Omit<KeyRecord, 'version'>): Promise<KeyRecord>;
  /** Replaces the key's row (same id) with the next version. */
  updateKey(key: Omit<KeyRecord, 'version'>): Promise<KeyRecord>;

  // Ledger.
  insertRows(rows: readonly LedgerRow[]): Promise<void>;
  /** Deletes up to `limit` rows older than `before`; returns how many went. */
  deleteRowsBefore(before: number, limit: number): Promise<number>;
  usage(query: UsageQuery): Promise<UsageGroup[]>;
  requests(query: RequestQuery): Promise<RequestPage>;
  /** Latency or TTFB quantiles (p50, p95...), overall or per provider, route, model or key. */
  quantiles(query: QuantileQuery): Promise<QuantileGroup[]>;
  /**
   * usage() from the hourly rollup (src/ledger/rollup.ts): whole hours only, by key, route, model,
   * provider, day or hour, no outcome filter; reads hours of sums instead of rows.
   */
  hourlyUsage(query: UsageQuery): Promise<UsageGroup[]>;
  /** Quantile estimates from the rollup's histograms: whole hours, overall or per provider. */
  hourlyQuantiles(query: QuantileQuery): Promise<QuantileGroup[]>;

  // Limit counters (see src/quota/grant.ts).
  acquireLease(request: LeaseRequest): Promise<LeaseGrant>;
  /** Several grants in one transaction, in the requests' order (what a limiter asks for at once). */
  acquireLeases(requests: readonly LeaseRequest[]): Promise<LeaseGrant[]>;
  /**
   * Adds each delta to its counter, shrinks this holder's leases by as much, and renews them all
   * (`renew` false: not yet, a large flush sent in parts renews with its last part).
   */
  flushQuota(
    holder: string,
    flushes: readonly QuotaFlush[],
    now: number,
    leaseMs: number,
    renew?: boolean,
  ): Promise<void>;
  /** Gives up this holder's leases on these counters (idle, or the window is over). */
  releaseLeases(holder: string, refs: readonly CounterRef[]): Promise<void>;
  /** Committed usage of these counters (0 for counters never written). */
  counters(refs: readonly CounterRef[]): Promise<number[]>;
  /** Removes expired leases and counters of windows that ended before `before`. */
  pruneQuota(now: number, minuteBefore: number, periodBefore: number): Promise<void>;

  close(): Promise<void>;
}

/** A full page may have more behind it: the caller goes on from its last key's version. */
export function pageOfChanges(keys: KeyRecord[], limit: number, current: number): KeyChanges {
  const full = keys.length === limit && limit > 0;
  return { version: full ? keys.at(-1)!.version : current, keys, more: full };
}
