// Per-key limits in one proxy process: requests are admitted against this process's leases in
// memory (see grant.ts for the scheme and its worst case); a database round trip happens only
// when a lease runs out. Store operations of one process run one at a time, so the local view
// of each lease always matches the store's; leases wanted meanwhile are taken together in one
// transaction. When the store fails (disk full, database down), the process keeps enforcing
// every limit on its own from the last state it saw, and says so in health(): requests never
// fail because of the store.
//
// A lease unused for idleMs goes back to the store for other processes, but the counter stays
// with the last state the store reported: when its key comes back, one request is admitted on
// that state at once while the new lease is taken in the background, so a key used every few
// seconds never waits for the store. Others' use since then is unknown: per process and limit,
// one request per window may go beyond the limit (docs/keys.md); a leased counter never does.
import type { Store } from '../store/types.ts';
import {
  type Counter,
  counterKey,
  enforceAlone,
  forgettable,
  hasRoom,
  leaseDone,
  leaseGranted,
  leaseReturned,
  newCounter,
  previousRef,
  seenRoom,
  usageWritten,
} from './counter.ts';
import { MINUTE_MS, type CounterRef } from './grant.ts';
import { inParts } from './in-parts.ts';
import { type LimitedKey, limitsOf } from './key-limits.ts';
import { type Refusal, refusalOf } from './refusal.ts';

export type { Refusal } from './refusal.ts';

export type { LimitedKey } from './key-limits.ts';
type QuotaStore = Pick<Store, 'acquireLeases' | 'flushQuota' | 'releaseLeases' | 'pruneQuota'>;

export interface LimiterOptions {
  /** How long a lease is valid in the store without renewal (a crashed process's share comes back after this). */
  leaseMs?: number;
  /** How often pending usage is written and leases renewed. */
  flushMs?: number;
  /** A counter unused this long gives its lease back, so other replicas can have it. */
  idleMs?: number;
  /** After a store failure, how long to enforce locally before asking the store again. */
  retryMs?: number;
  /** A budget counter without a lease is forgotten after this long unused (per-minute ones when their minute is 2 minutes old). */
  forgetMs?: number;
  onError?: (message: string) => void;
  /** Milliseconds since the epoch (tests move it). */
  clock?: () => number;
}

export class QuotaLimiter {
  private readonly counters = new Map<string, Counter>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private readonly leaseMs: number;
  private readonly flushMs: number;
  private readonly idleMs: number;
  private readonly retryMs: number;
  private readonly forgetMs: number;
  /** Counters waiting for a lease, and the store operation that will take them. */
  private wanted: Counter[] = [];
  private batch: Promise<void> | undefined;
  private readonly now: () => number;
  /** The last store failure (for /health); cleared by the next success. */
  lastError: string | undefined;

  constructor(
    private readonly store: QuotaStore,
    readonly holder: string,
    private readonly options: LimiterOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.flushMs = options.flushMs ?? 1000;
    this.idleMs = options.idleMs ?? 3000;
    this.retryMs = options.retryMs ?? 5000;
    this.forgetMs = options.forgetMs ?? 600_000;
    this.now = options.clock ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Writes what is pending and gives every lease back (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush(this.now(), true);
  }

  private counter(ref: CounterRef, limit: number, now: number): Counter {
    const id = counterKey(ref);
    let c = this.counters.get(id);
    if (!c) {
      const before = previousRef(ref);
      c = newCounter(ref, limit, now, before && this.counters.get(counterKey(before)));
      this.counters.set(id, c);
    } else if (c.limit !== limit) {
      // The key's limit changed: the lease was granted under the old one.
      c.limit = limit;
      c.validUntil = 0;
    }
    return c;
  }

  /**
   * undefined: admitted (its request is counted). A Refusal says which limit and for how long.
   * A Promise only when a lease had to be taken from the store.
   */
  admit(k: LimitedKey, now = this.now()): Refusal | undefined | Promise<Refusal | undefined> {
    const limits = limitsOf(k, now);
    if (limits.length === 0) return undefined;
    const counters = limits.map((l) => this.counter(l.ref, l.limit, now));
    const short = counters.filter((c) => !hasRoom(c, now));
    if (short.length === 0) return this.take(counters, now);
    // Back from idle or in a new minute: admitted on the last state seen, the leases taken meanwhile.
    if (short.every((c) => !c.acquiring && seenRoom(c, now))) {
      for (const c of short) void this.acquire(c);
      return this.take(counters, now);
    }
    return Promise.all(short.map((c) => this.acquire(c))).then(() => {
      const later = this.now();
      const still = counters.find((c) => !hasRoom(c, later));
      return still ? this.refusal(k, still, later) : this.take(counters, later);
    });
  }

  private take(counters: Counter[], now: number): undefined {
    for (const c of counters) {
      c.lastUse = now;
      if (c.ref.metric === 'rpm') c.pending += 1;
    }
    return undefined;
  }

  /** Counts what a finished request used against the key's token and money limits. */
  record(k: LimitedKey, tokens: number, costNano: number | null, now = this.now()): void {
    for (const { ref, limit } of limitsOf(k, now)) {
      const amount = ref.metric === 'budget' ? (costNano ?? 0) : ref.metric === 'rpm' ? 0 : tokens;
      if (amount > 0) {
        const c = this.counter(ref, limit, now);
        c.pending += amount;
        c.lastUse = now;
      }
    }
  }

  /** Runs store operations one at a time (see the header). */
  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Asks for a lease; the counters wanted by the time the store is free are taken together. */
  private acquire(c: Counter): Promise<void> {
    if (!c.acquiring) {
      this.wanted.push(c);
      this.batch ??= this.exclusive(() => this.acquireWanted());
      c.acquiring = this.batch;
    }
    return c.acquiring;
  }

  private async acquireWanted(): Promise<void> {
    const wanted = this.wanted;
    this.wanted = [];
    this.batch = undefined;
    await inParts(wanted, (part) => this.acquireBatch(part));
  }

  private async acquireBatch(batch: Counter[]): Promise<void> {
    const now = this.now();
    const sent = batch.map((c) => c.pending);
    try {
      const grants = await this.store.acquireLeases(
        batch.map((c, i) => ({
          holder: this.holder,
          ref: c.ref,
          limit: c.limit,
          pending: sent[i]!,
          now,
          leaseMs: this.leaseMs,
        })),
      );
      batch.forEach((c, i) => leaseGranted(c, grants[i]!, sent[i]!, this.trustedUntil(now)));
      this.lastError = undefined;
    } catch (error) {
      this.failed(error);
      for (const c of batch) enforceAlone(c, now, this.retryMs);
    } finally {
      for (const c of batch) c.acquiring = undefined;
    }
  }

  /** Trust a lease a little less long than the store keeps it. */
  private trustedUntil(now: number): number {
    return now + this.leaseMs - 2 * this.flushMs;
  }

  private failed(error: unknown): void {
    const message = `limit counters: ${(error as Error).message}`;
    if (message !== this.lastError) this.options.onError?.(message);
    this.lastError = message;
  }

  private refusal(k: LimitedKey, c: Counter, now: number): Refusal {
    return refusalOf(k, c.ref, c.limit, { ...c.known, used: c.known.used + c.known.others + c.pending }, now);
  }

  /**
   * Writes pending usage and renews this process's leases; gives back the leases of counters
   * that are idle or whose window is over. `all`: give back everything (shutdown).
   */
  flush(now = this.now(), all = false): Promise<void> {
    return this.exclusive(async () => {
      const flushes = [...this.counters.values()].filter((c) => c.pending !== 0);
      const sent = flushes.map((c) => c.pending);
      const holding = [...this.counters.values()].some((c) => c.allowance > 0);
      if (flushes.length > 0 || holding) {
        try {
          // In parts; the last one (or the only one, maybe empty) renews every lease.
          await inParts(
            flushes,
            async (part, offset, last) => {
              const deltas = sent.slice(offset, offset + part.length);
              await this.store.flushQuota(
                this.holder,
                part.map((c, j) => ({ ref: c.ref, delta: deltas[j]! })),
                now,
                this.leaseMs,
                last,
              );
              part.forEach((c, j) => usageWritten(c, deltas[j]!));
            },
            true,
          );
          for (const c of this.counters.values())
            if (c.validUntil > now && !c.degraded) c.validUntil = this.trustedUntil(now);
          this.lastError = undefined;
        } catch (error) {
          this.failed(error);
          return;
        }
      }
      const done = [...this.counters.values()].filter((c) => leaseDone(c, now, this.idleMs, all));
      try {
        await inParts(done, async (part) => {
          await this.store.releaseLeases(
            this.holder,
            part.map((c) => c.ref),
          );
          for (const c of part) leaseReturned(c);
        });
      } catch (error) {
        this.failed(error);
      }
      for (const [id, c] of this.counters) if (forgettable(c, now, this.forgetMs)) this.counters.delete(id);
      // Pruning is housekeeping of counters this process wrote: none yet, nothing to prune.
      if (this.lastPrune === 0 && this.counters.size === 0) return;
      if (now - this.lastPrune > MINUTE_MS) {
        this.lastPrune = now;
        await this.store
          .pruneQuota(now, now - 3 * MINUTE_MS, now - 400 * 86_400_000)
          .catch((error: unknown) => this.failed(error));
      }
    });
  }

  /** Counters held in memory (for tests and /health). */
  get size(): number {
    return this.counters.size;
  }
}
