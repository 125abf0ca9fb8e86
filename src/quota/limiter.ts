// Per-key limits in one proxy process: requests are admitted against this process's leases in
// memory (see grant.ts for the scheme and its worst case); a database round trip happens only
// when a lease runs out. Store operations of one process run one at a time, so the local view
// of each lease always matches the store's. When the store fails (disk full, database down),
// the process keeps enforcing every limit on its own from the last state it saw, and says so
// in health(): requests never fail because of the store.
import { periodStart } from '../keys/periods.ts';
import type { KeyRecord } from '../keys/types.ts';
import type { Store } from '../store/types.ts';
import { effectiveLimit, isPerMinute, MINUTE_MS, type CounterRef, type LeaseGrant } from './grant.ts';
import { type Refusal, refusalOf } from './refusal.ts';

export type { Refusal } from './refusal.ts';

export type LimitedKey = Pick<
  KeyRecord,
  'id' | 'name' | 'rpm' | 'tpm' | 'budgetNano' | 'budgetTokens' | 'budgetPeriod'
>;
type QuotaStore = Pick<Store, 'acquireLease' | 'flushQuota' | 'releaseLeases' | 'pruneQuota'>;

export interface LimiterOptions {
  /** How long a lease is valid in the store without renewal (a crashed process's share comes back after this). */
  leaseMs?: number;
  /** How often pending usage is written and leases renewed. */
  flushMs?: number;
  /** A counter unused this long gives its lease back, so other replicas can have it. */
  idleMs?: number;
  /** After a store failure, how long to enforce locally before asking the store again. */
  retryMs?: number;
  onError?: (message: string) => void;
  /** Milliseconds since the epoch (tests move it). */
  clock?: () => number;
}

interface Counter {
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
  acquiring: Promise<void> | undefined;
  /** The allowance was computed here after a store failure, not granted: never renewed, only replaced. */
  degraded: boolean;
}

const key = (r: CounterRef) => `${r.keyId}\u0000${r.metric}\u0000${r.window}`;

export class QuotaLimiter {
  private readonly counters = new Map<string, Counter>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private readonly leaseMs: number;
  private readonly flushMs: number;
  private readonly idleMs: number;
  private readonly retryMs: number;
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

  /** The limits of a key as counters for the moment `now`. */
  private limitsOf(k: LimitedKey, now: number): { ref: CounterRef; limit: number }[] {
    const out: { ref: CounterRef; limit: number }[] = [];
    const minute = now - (now % MINUTE_MS);
    if (k.rpm !== null) out.push({ ref: { keyId: k.id, metric: 'rpm', window: minute }, limit: k.rpm });
    if (k.tpm !== null) out.push({ ref: { keyId: k.id, metric: 'tpm', window: minute }, limit: k.tpm });
    const period = periodStart(k.budgetPeriod, now);
    if (k.budgetNano !== null)
      out.push({ ref: { keyId: k.id, metric: 'budget', window: period }, limit: k.budgetNano });
    if (k.budgetTokens !== null)
      out.push({ ref: { keyId: k.id, metric: 'token_budget', window: period }, limit: k.budgetTokens });
    return out;
  }

  private counter(ref: CounterRef, limit: number, now: number): Counter {
    let c = this.counters.get(key(ref));
    if (!c) {
      c = {
        ref,
        limit,
        allowance: 0,
        pending: 0,
        validUntil: 0,
        lastUse: now,
        known: { used: 0, previousUsed: 0, others: 0, otherHolders: 0 },
        acquiring: undefined,
        degraded: false,
      };
      this.counters.set(key(ref), c);
    } else if (c.limit !== limit) {
      // The key's limit changed: the lease was granted under the old one.
      c.limit = limit;
      c.validUntil = 0;
    }
    return c;
  }

  private static hasRoom(c: Counter, now: number): boolean {
    if (now >= c.validUntil) return false;
    return c.ref.metric === 'rpm' ? c.pending + 1 <= c.allowance : c.pending < c.allowance;
  }

  /**
   * undefined: admitted (its request is counted). A Refusal says which limit and for how long.
   * A Promise only when a lease had to be taken from the store.
   */
  admit(k: LimitedKey, now = this.now()): Refusal | undefined | Promise<Refusal | undefined> {
    const limits = this.limitsOf(k, now);
    if (limits.length === 0) return undefined;
    const counters = limits.map((l) => this.counter(l.ref, l.limit, now));
    const short = counters.filter((c) => !QuotaLimiter.hasRoom(c, now));
    if (short.length === 0) return this.take(counters, now);
    return Promise.all(short.map((c) => this.acquire(c))).then(() => {
      const later = this.now();
      const still = counters.find((c) => !QuotaLimiter.hasRoom(c, later));
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
    for (const { ref, limit } of this.limitsOf(k, now)) {
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

  private acquire(c: Counter): Promise<void> {
    c.acquiring ??= this.exclusive(async () => {
      const now = this.now();
      const sent = c.pending;
      try {
        const g = await this.store.acquireLease({
          holder: this.holder,
          ref: c.ref,
          limit: c.limit,
          pending: sent,
          now,
          leaseMs: this.leaseMs,
        });
        c.pending -= sent;
        c.allowance = g.grant;
        c.known = g;
        // Trust the lease a little less long than the store keeps it.
        c.validUntil = now + this.leaseMs - 2 * this.flushMs;
        c.degraded = false;
        this.lastError = undefined;
      } catch (error) {
        this.failed(error);
        // Alone with the last state seen: what nobody had used or leased then, minus what we used since.
        const { used, others } = c.known;
        const left = effectiveLimit(c.ref.metric, c.limit, c.known.previousUsed, c.ref.window, now) - used - others;
        c.allowance = Math.max(c.pending, Math.floor(left));
        c.validUntil = now + this.retryMs;
        c.degraded = true;
      } finally {
        c.acquiring = undefined;
      }
    });
    return c.acquiring;
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
          await this.store.flushQuota(
            this.holder,
            flushes.map((c, i) => ({ ref: c.ref, delta: sent[i]! })),
            now,
            this.leaseMs,
          );
          flushes.forEach((c, i) => {
            c.pending -= sent[i]!;
            c.allowance = Math.max(0, c.allowance - sent[i]!);
            c.known.used += sent[i]!;
          });
          for (const c of this.counters.values())
            if (c.validUntil > now && !c.degraded) c.validUntil = now + this.leaseMs - 2 * this.flushMs;
          this.lastError = undefined;
        } catch (error) {
          this.failed(error);
          return;
        }
      }
      const done = [...this.counters.values()].filter(
        (c) => c.pending === 0 && !c.acquiring && (all || now - c.lastUse > this.idleMs || windowOver(c, now)),
      );
      if (done.length > 0) {
        try {
          await this.store.releaseLeases(
            this.holder,
            done.map((c) => c.ref),
          );
          for (const c of done) this.counters.delete(key(c.ref));
        } catch (error) {
          this.failed(error);
        }
      }
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

function windowOver(c: Counter, now: number): boolean {
  return isPerMinute(c.ref.metric) && now - c.ref.window >= MINUTE_MS;
}
