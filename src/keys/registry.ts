// The proxy's in-memory view of the client keys: a Map from key hash to key, so resolving a
// presented key is one SHA-256 and one Map lookup, never a database round trip. A poll of the
// store's key version (every 500 ms by default) loads only the rows that changed, so a key
// created, changed, rotated or revoked with `ai-proxy keys` is in force within a second.
import { hashKey, looksLikeKey } from './format.ts';
import { compilePatterns, type ModelMatcher } from './patterns.ts';
import type { KeyRecord } from './types.ts';
import type { Store } from '../store/types.ts';

export interface ActiveKey {
  record: KeyRecord;
  models: ModelMatcher;
}

export type Resolution =
  | { kind: 'key'; key: ActiveKey }
  | { kind: 'revoked' | 'expired'; key: ActiveKey }
  | { kind: 'unknown' };

export interface RegistryOptions {
  pollMs?: number;
  /** A failed load or poll (with the message); called again with undefined on recovery. */
  onError?: (message: string | undefined) => void;
  /** Keys were loaded (`initial`: the first load) or added, changed or revoked since. */
  onChange?: (changed: KeyRecord[], initial: boolean) => void;
}

export interface RegistryHealth {
  status: 'ok' | 'degraded';
  keys: number;
  version: number;
  /** snake_case: this is what /health shows. */
  last_error: string | null;
}

const UNKNOWN: Resolution = { kind: 'unknown' };

export class KeyRegistry {
  private readonly byHash = new Map<string, ActiveKey>();
  private readonly byId = new Map<string, ActiveKey>();
  private version = -1;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastError: string | undefined;

  constructor(
    private readonly store: Pick<Store, 'keysVersion' | 'keysChangedSince'>,
    private readonly options: RegistryOptions = {},
  ) {}

  /** Loads every key, then polls. A store that fails now is retried by the poll. */
  async start(): Promise<void> {
    await this.poll();
    this.timer ??= setInterval(() => void this.poll(), this.options.pollMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Keys loaded (revoked ones included: they answer "revoked", not "unknown"). */
  get size(): number {
    return this.byId.size;
  }

  /** Every key that is not revoked (for metrics labels and a console). */
  *active(): Generator<ActiveKey> {
    for (const key of this.byId.values()) if (key.record.revokedAt === null) yield key;
  }

  resolve(token: string, now = Date.now()): Resolution {
    // Only strings shaped like a key are hashed: anything else cannot be one.
    if (this.byHash.size === 0 || !looksLikeKey(token)) return UNKNOWN;
    const key = this.byHash.get(hashKey(token));
    if (!key) return UNKNOWN;
    if (key.record.revokedAt !== null) return { kind: 'revoked', key };
    if (key.record.expiresAt !== null && key.record.expiresAt <= now) return { kind: 'expired', key };
    return { kind: 'key', key };
  }

  /** Checks the store's key version and applies what changed since the last look. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const version = this.version < 0 ? 0 : await this.store.keysVersion();
      if (version !== this.version) {
        // Page by page: 10,000 keys never sit in memory twice over while loading.
        const initial = this.version < 0;
        let more = true;
        while (more) {
          const changes = await this.store.keysChangedSince(Math.max(0, this.version));
          this.apply(changes.keys);
          this.version = changes.version;
          more = changes.more;
          if (changes.keys.length > 0) this.options.onChange?.(changes.keys, initial);
        }
      }
      if (this.lastError !== undefined) {
        this.lastError = undefined;
        this.options.onError?.(undefined);
      }
    } catch (error) {
      const message = `keys: ${(error as Error).message}`;
      if (message !== this.lastError) this.options.onError?.(message);
      this.lastError = message;
    } finally {
      this.polling = false;
    }
  }

  private apply(records: KeyRecord[]): void {
    for (const record of records) {
      const old = this.byId.get(record.id);
      // A rotated key has a new hash: the old one must stop resolving.
      if (old) this.byHash.delete(old.record.hash);
      const key: ActiveKey = { record, models: compilePatterns(record.models) };
      this.byId.set(record.id, key);
      this.byHash.set(record.hash, key);
    }
  }

  health(): RegistryHealth {
    return {
      status: this.lastError === undefined ? 'ok' : 'degraded',
      keys: this.byId.size,
      version: Math.max(0, this.version),
      last_error: this.lastError ?? null,
    };
  }
}
