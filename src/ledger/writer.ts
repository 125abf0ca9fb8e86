// Writes ledger rows off the request path: a request only appends its row to a bounded queue;
// a timer writes the queue in batches (one transaction or one INSERT each). When the store is
// slow or failing, rows wait (retried with backoff) until the queue is full, then new rows are
// dropped and counted: memory stays bounded and no request ever waits for, or fails on, the
// ledger. health() says what is happening; /health and the logs report it.
import type { LedgerRow } from './row.ts';
import type { Store } from '../store/types.ts';

export interface LedgerWriterOptions {
  /** Rows held at most while the store is behind (~300 bytes each). */
  maxQueue?: number;
  /** Rows per INSERT / transaction. */
  batchSize?: number;
  /** How long a row may wait for its batch to fill. */
  flushMs?: number;
  /** The longest wait between retries while the store fails. */
  maxBackoffMs?: number;
  /** The first failure, each new kind of failure, and the recovery. */
  onError?: (message: string | undefined) => void;
  /** Rows were dropped: called on the first drop and then at most every 10 s, with the total. */
  onDrop?: (dropped: number) => void;
}

export interface LedgerHealth {
  status: 'ok' | 'degraded';
  queued: number;
  written: number;
  dropped: number;
  /** snake_case: this is what /health shows. */
  last_error: string | null;
  last_error_at: string | null;
}

const DROP_REPORT_MS = 10_000;
/** Dropped rows keep the ledger "degraded" in /health this long after the last one. */
const DROP_MEMORY_MS = 10 * 60_000;

export class LedgerWriter {
  private batches: LedgerRow[][] = [];
  private queued = 0;
  private written = 0;
  private dropped = 0;
  private writing = false;
  private backoffMs = 0;
  private retryAt = 0;
  private lastError: string | undefined;
  private lastErrorAt = 0;
  private lastDropReport = 0;
  private lastDropAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly store: Pick<Store, 'insertRows'>,
    private readonly options: LedgerWriterOptions = {},
  ) {
    this.maxQueue = options.maxQueue ?? 100_000;
    this.batchSize = options.batchSize ?? 500;
    this.flushMs = options.flushMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.drain(), this.flushMs);
    this.timer.unref();
  }

  /** Queues a row; false when the queue is full and the row was dropped. */
  push(row: LedgerRow): boolean {
    if (this.queued >= this.maxQueue) {
      this.dropped++;
      const now = Date.now();
      this.lastDropAt = now;
      if (now - this.lastDropReport >= DROP_REPORT_MS) {
        this.lastDropReport = now;
        this.options.onDrop?.(this.dropped);
      }
      return false;
    }
    const last = this.batches.at(-1);
    if (last && last.length < this.batchSize) last.push(row);
    else this.batches.push([row]);
    this.queued++;
    if (this.queued >= this.batchSize && !this.writing) setImmediate(() => void this.drain());
    return true;
  }

  /** Writes queued batches until the queue is empty or the store fails. */
  async drain(): Promise<void> {
    if (this.writing || this.queued === 0 || Date.now() < this.retryAt) return;
    this.writing = true;
    try {
      while (this.batches.length > 0) {
        const batch = this.batches[0]!;
        // A full batch goes at once; a partial one too, since the timer only runs every flushMs.
        this.batches.shift();
        try {
          await this.store.insertRows(batch);
        } catch (error) {
          this.batches.unshift(batch);
          this.fail((error as Error).message);
          return;
        }
        this.queued -= batch.length;
        this.written += batch.length;
        if (this.lastError !== undefined) {
          this.lastError = undefined;
          this.backoffMs = 0;
          this.options.onError?.(undefined);
        }
        // Let requests run between batches: SQLite writes are synchronous.
        if (this.batches.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.writing = false;
    }
  }

  private fail(message: string): void {
    this.backoffMs = Math.min(this.maxBackoffMs, Math.max(500, this.backoffMs * 2));
    this.retryAt = Date.now() + this.backoffMs;
    this.lastErrorAt = Date.now();
    if (message !== this.lastError) this.options.onError?.(message);
    this.lastError = message;
  }

  /** Stops the timer and writes what is queued, giving up after `deadlineMs`. */
  async stop(deadlineMs = 2000): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const end = Date.now() + deadlineMs;
    while (this.queued > 0 && Date.now() < end) {
      this.retryAt = 0;
      await this.drain();
      if (this.queued > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  health(): LedgerHealth {
    return {
      status:
        this.lastError !== undefined || (this.dropped > 0 && Date.now() - this.lastDropAt < DROP_MEMORY_MS)
          ? 'degraded'
          : 'ok',
      queued: this.queued,
      written: this.written,
      dropped: this.dropped,
      last_error: this.lastError ?? null,
      last_error_at: this.lastErrorAt ? new Date(this.lastErrorAt).toISOString() : null,
    };
  }
}
