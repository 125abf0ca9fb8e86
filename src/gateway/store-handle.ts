// The proxy's store, opened when it is first needed. A proxy with no key store file yet (a fresh
// install that has served nothing) does not load node:sqlite at all: the file is opened when
// the first ledger row is written or when `ai-proxy keys create` has created it. PostgreSQL
// (DATABASE_URL) is opened at start: keys may exist there already.
import { existsSync } from 'node:fs';
import { openStore, type StoreTarget } from '../store/open.ts';
import type { Store } from '../store/types.ts';

/** How long a failed open is not retried (a missing mount does not heal in milliseconds). */
const RETRY_MS = 5000;

export class StoreHandle {
  private store: Store | undefined;
  private opening: Promise<Store> | undefined;
  private failedAt = 0;
  private failure: Error | undefined;

  constructor(
    readonly target: Exclude<StoreTarget, { kind: 'none' }>,
    private readonly onIdleError?: (error: Error) => void,
  ) {}

  /** Where the data is, for /health and logs (no password). */
  get opened(): Store | undefined {
    return this.store;
  }

  /** True when there may be keys to load: a database, or an SQLite file that exists. */
  mayHoldKeys(): boolean {
    return this.store !== undefined || this.target.kind === 'postgres' || existsSync(this.target.path);
  }

  /** The open store; opens it on first use; a failed open is retried after a few seconds. */
  get(): Promise<Store> {
    if (this.store) return Promise.resolve(this.store);
    if (this.opening) return this.opening;
    if (this.failure && Date.now() - this.failedAt < RETRY_MS) return Promise.reject(this.failure);
    this.opening = openStore(this.target, {
      // The proxy never waits long for a locked file: the caller retries later instead.
      sqliteBusyTimeoutMs: 20,
      postgresQueryTimeoutMs: 3000,
      ...(this.onIdleError ? { onIdleError: this.onIdleError } : {}),
    }).then(
      (store) => {
        this.store = store;
        this.failure = undefined;
        this.opening = undefined;
        return store;
      },
      (error: Error) => {
        this.failure = error;
        this.failedAt = Date.now();
        this.opening = undefined;
        throw error;
      },
    );
    return this.opening;
  }

  /** The last failure to open, for /health. */
  get lastFailure(): string | undefined {
    return this.store ? undefined : this.failure?.message;
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => {});
    await this.store?.close();
    this.store = undefined;
  }
}
