// Deletes ledger rows older than the retention period, every hour, in chunks small enough that
// the database (and, with SQLite, the event loop) is never held for long.
import type { Store } from '../store/types.ts';

const CHUNK = 5000;
const DAY_MS = 86_400_000;

export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  lastError: string | undefined;

  constructor(
    private readonly store: Pick<Store, 'deleteRowsBefore'>,
    private retentionDays: number,
    private readonly intervalMs = 3_600_000,
    private readonly onError?: (message: string) => void,
  ) {}

  setRetentionDays(days: number): void {
    this.retentionDays = days;
  }

  /** First run shortly after start (not at start: the proxy has better things to do then). */
  start(firstRunMs = 60_000): void {
    const first = setTimeout(() => {
      void this.run();
      this.timer = setInterval(() => void this.run(), this.intervalMs);
      this.timer.unref();
    }, firstRunMs);
    first.unref();
    this.timer = first;
  }

  stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
  }

  /** Deletes everything older than the retention period; returns the number of rows deleted. */
  async run(now = Date.now()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let total = 0;
    try {
      const before = now - this.retentionDays * DAY_MS;
      for (;;) {
        const n = await this.store.deleteRowsBefore(before, CHUNK);
        total += n;
        if (n < CHUNK) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.lastError = undefined;
    } catch (error) {
      this.lastError = `ledger retention: ${(error as Error).message}`;
      this.onError?.(this.lastError);
    } finally {
      this.running = false;
    }
    return total;
  }
}
