// The embedded store: one SQLite file through Node's built-in node:sqlite (no native addon, so it
// works inside the single executable). WAL mode lets the CLI (`docker exec ... keys create`) and
// the proxy use the file at once. Calls are synchronous, so the proxy keeps them short: batched
// ledger inserts, a busy timeout of a few milliseconds (a locked file is an error the caller
// retries later, never a stalled event loop), and nothing per request.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { KeyRecord } from '../keys/types.ts';
import {
  quantileGroups,
  quantilesSql,
  requestPage,
  requestsSql,
  usageGroups,
  usageSql,
  type QuantileQuery,
  type RequestQuery,
  type UsageQuery,
} from '../ledger/query.ts';
import { LEDGER_COLUMNS, rowValues, type LedgerRow } from '../ledger/row.ts';
import { computeGrant, isPerMinute, MINUTE_MS, type CounterRef, type LeaseRequest } from '../quota/grant.ts';
import { keyFromRow, KEY_COLUMNS, keyValues } from './key-rows.ts';
import { META_TABLE_SQL, MIGRATIONS, newerSchemaMessage, SCHEMA_VERSION } from './schema.ts';
import { StoreError, type QuotaFlush, type Store } from './types.ts';

export const DATABASE_FILE = 'ai-proxy.db';

type Value = string | number | null;
type Row = Record<string, unknown>;

export interface SqliteOptions {
  /** How long a write waits for another process's write to finish (ms). */
  busyTimeoutMs?: number;
}

function sqliteModule(): typeof import('node:sqlite') {
  const mod = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite') | undefined;
  if (!mod)
    throw new StoreError(`node:sqlite is not available in Node ${process.version} (it needs Node 22.5 or newer)`);
  return mod;
}

/**
 * Creates the data folder itself when missing, not its parents: a DATA_DIR whose parent is
 * missing is a mistake worth an error (and Node's recursive mkdir never returns on /proc).
 */
function makeFolder(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly statements = new Map<string, StatementSync>();

  private constructor(
    private readonly db: DatabaseSync,
    readonly location: string,
  ) {}

  /** Opens (creating the file and its folder's missing parts when needed) and migrates. */
  static open(path: string, options: SqliteOptions = {}): SqliteStore {
    let db: DatabaseSync;
    try {
      if (path !== ':memory:') makeFolder(dirname(path));
      db = new (sqliteModule().DatabaseSync)(path, { timeout: options.busyTimeoutMs ?? 5000 });
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    } catch (error) {
      throw new StoreError(`cannot open ${path}: ${(error as Error).message}`);
    }
    const store = new SqliteStore(db, path);
    try {
      store.migrate();
    } catch (error) {
      db.close();
      throw error instanceof StoreError ? error : new StoreError(`${path}: ${(error as Error).message}`);
    }
    return store;
  }

  private migrate(): void {
    this.db.exec(META_TABLE_SQL);
    this.transaction(() => {
      const found = Number(this.get("SELECT value FROM store_meta WHERE name = 'schema'")?.value ?? 0);
      if (found > SCHEMA_VERSION) throw new StoreError(newerSchemaMessage(found));
      for (let v = found; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS.sqlite[v]!);
      if (found < SCHEMA_VERSION) {
        this.run('INSERT INTO store_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = ?', [
          'schema',
          SCHEMA_VERSION,
          SCHEMA_VERSION,
        ]);
        this.run("INSERT INTO store_meta (name, value) VALUES ('keys_version', 0) ON CONFLICT DO NOTHING");
      }
    });
  }

  private statement(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
  private run(sql: string, params: Value[] = []): void {
    this.statement(sql).run(...params);
  }
  private get(sql: string, params: Value[] = []): Row | undefined {
    return this.statement(sql).get(...params) as Row | undefined;
  }
  private all(sql: string, params: Value[] = []): Row[] {
    return this.statement(sql).all(...params) as Row[];
  }

  /** BEGIN IMMEDIATE: takes the write lock up front, so a transaction never fails half-way on it. */
  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Runs fn, turning SQLite's errors into StoreError (with the constraint named). */
  private async call<T>(what: string, fn: () => T): Promise<T> {
    try {
      return fn();
    } catch (error) {
      // A RangeError is the caller's query (an empty time range), not the store failing.
      if (error instanceof StoreError || error instanceof RangeError) throw error;
      throw new StoreError(`${what}: ${(error as Error).message}`);
    }
  }

  keysVersion(): Promise<number> {
    return this.call('reading the keys version', () =>
      Number(this.get("SELECT value FROM store_meta WHERE name = 'keys_version'")!.value),
    );
  }

  keysChangedSince(version: number): Promise<{ version: number; keys: KeyRecord[] }> {
    return this.call('loading keys', () => {
      // One read transaction: the version and the rows are of the same moment.
      this.db.exec('BEGIN');
      try {
        const current = Number(this.get("SELECT value FROM store_meta WHERE name = 'keys_version'")!.value);
        const keys = this.all('SELECT * FROM api_keys WHERE version > ? ORDER BY version', [version]).map(keyFromRow);
        return { version: current, keys };
      } finally {
        this.db.exec('COMMIT');
      }
    });
  }

  listKeys(): Promise<KeyRecord[]> {
    return this.call('listing keys', () => this.all('SELECT * FROM api_keys ORDER BY name').map(keyFromRow));
  }

  findKey(ref: { id?: string; name?: string; hash?: string }): Promise<KeyRecord | undefined> {
    return this.call('finding a key', () => {
      const [column, value] = ref.id ? ['id', ref.id] : ref.name ? ['name', ref.name] : ['hash', ref.hash ?? ''];
      const row = this.get(
        `SELECT * FROM api_keys WHERE ${column} = ? ORDER BY (revoked_at IS NULL) DESC, created_at DESC LIMIT 1`,
        [value],
      );
      return row ? keyFromRow(row) : undefined;
    });
  }

  private nextKeysVersion(): number {
    return Number(
      this.get("UPDATE store_meta SET value = value + 1 WHERE name = 'keys_version' RETURNING value")!.value,
    );
  }

  insertKey(key: Omit<KeyRecord, 'version'>): Promise<KeyRecord> {
    return this.call('creating the key', () =>
      this.transaction(() => {
        const version = this.nextKeysVersion();
        this.run(
          `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map(() => '?').join(', ')})`,
          keyValues(key, version),
        );
        return { ...key, version };
      }),
    );
  }

  updateKey(key: Omit<KeyRecord, 'version'>): Promise<KeyRecord> {
    return this.call('changing the key', () =>
      this.transaction(() => {
        const version = this.nextKeysVersion();
        const values = keyValues(key, version);
        const sets = KEY_COLUMNS.slice(1).map((c) => `${c} = ?`);
        this.run(`UPDATE api_keys SET ${sets.join(', ')} WHERE id = ?`, [...values.slice(1), key.id]);
        return { ...key, version };
      }),
    );
  }

  insertRows(rows: readonly LedgerRow[]): Promise<void> {
    const sql = `INSERT INTO ledger (${LEDGER_COLUMNS.join(', ')}) VALUES (${LEDGER_COLUMNS.map(() => '?').join(', ')})`;
    return this.call('writing ledger rows', () =>
      this.transaction(() => {
        const insert = this.statement(sql);
        for (const r of rows) insert.run(...rowValues(r));
      }),
    );
  }

  deleteRowsBefore(before: number, limit: number): Promise<number> {
    return this.call('deleting old ledger rows', () =>
      Number(
        this.statement('DELETE FROM ledger WHERE id IN (SELECT id FROM ledger WHERE ts < ? ORDER BY ts LIMIT ?)').run(
          before,
          limit,
        ).changes,
      ),
    );
  }

  usage(query: UsageQuery) {
    return this.call('querying usage', () => {
      const { text, params } = usageSql(query, false);
      return usageGroups(query, this.db.prepare(text).all(...params) as Row[]);
    });
  }

  requests(query: RequestQuery) {
    return this.call('querying requests', () => {
      const { text, params, limit } = requestsSql(query, false);
      return requestPage(this.db.prepare(text).all(...params) as Row[], limit);
    });
  }

  quantiles(query: QuantileQuery) {
    return this.call('querying latency quantiles', () => {
      const { text, params } = quantilesSql(query, false);
      return quantileGroups(query, this.db.prepare(text).all(...params) as Row[]);
    });
  }

  acquireLease(r: LeaseRequest) {
    const { keyId, metric, window } = r.ref;
    return this.call('taking a limit lease', () =>
      this.transaction(() => {
        const used = Number(
          this.get(
            `INSERT INTO quota_counters (key_id, metric, window_start, used) VALUES (?, ?, ?, ?)
             ON CONFLICT DO UPDATE SET used = used + excluded.used RETURNING used`,
            [keyId, metric, window, r.pending],
          )!.used,
        );
        const previousUsed = isPerMinute(metric)
          ? Number(
              this.get('SELECT used FROM quota_counters WHERE key_id = ? AND metric = ? AND window_start = ?', [
                keyId,
                metric,
                window - MINUTE_MS,
              ])?.used ?? 0,
            )
          : 0;
        const o = this.get(
          `SELECT COALESCE(SUM(amount), 0) AS others, COUNT(*) AS holders FROM quota_leases
           WHERE key_id = ? AND metric = ? AND window_start = ? AND holder <> ? AND expires_at > ? AND amount > 0`,
          [keyId, metric, window, r.holder, r.now],
        )!;
        const state = { used, previousUsed, others: Number(o.others), otherHolders: Number(o.holders) };
        const grant = computeGrant(metric, state, r.limit, window, r.now);
        this.run(
          `INSERT INTO quota_leases (key_id, metric, window_start, holder, amount, expires_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT DO UPDATE SET amount = excluded.amount, expires_at = excluded.expires_at`,
          [keyId, metric, window, r.holder, grant, r.now + r.leaseMs],
        );
        return { ...state, grant };
      }),
    );
  }

  flushQuota(holder: string, flushes: readonly QuotaFlush[], now: number, leaseMs: number): Promise<void> {
    return this.call('flushing limit counters', () =>
      this.transaction(() => {
        for (const { ref, delta } of flushes) {
          if (delta === 0) continue;
          this.run(
            `INSERT INTO quota_counters (key_id, metric, window_start, used) VALUES (?, ?, ?, ?)
             ON CONFLICT DO UPDATE SET used = used + excluded.used`,
            [ref.keyId, ref.metric, ref.window, delta],
          );
          this.run(
            `UPDATE quota_leases SET amount = MAX(amount - ?, 0)
             WHERE key_id = ? AND metric = ? AND window_start = ? AND holder = ?`,
            [delta, ref.keyId, ref.metric, ref.window, holder],
          );
        }
        this.run('UPDATE quota_leases SET expires_at = ? WHERE holder = ? AND expires_at > ?', [
          now + leaseMs,
          holder,
          now,
        ]);
      }),
    );
  }

  releaseLeases(holder: string, refs: readonly CounterRef[]): Promise<void> {
    return this.call('releasing limit leases', () =>
      this.transaction(() => {
        for (const ref of refs)
          this.run('DELETE FROM quota_leases WHERE key_id = ? AND metric = ? AND window_start = ? AND holder = ?', [
            ref.keyId,
            ref.metric,
            ref.window,
            holder,
          ]);
      }),
    );
  }

  counters(refs: readonly CounterRef[]): Promise<number[]> {
    return this.call('reading limit counters', () =>
      refs.map((ref) =>
        Number(
          this.get('SELECT used FROM quota_counters WHERE key_id = ? AND metric = ? AND window_start = ?', [
            ref.keyId,
            ref.metric,
            ref.window,
          ])?.used ?? 0,
        ),
      ),
    );
  }

  pruneQuota(now: number, minuteBefore: number, periodBefore: number): Promise<void> {
    return this.call('pruning limit counters', () =>
      this.transaction(() => {
        this.run('DELETE FROM quota_leases WHERE expires_at <= ?', [now]);
        this.run("DELETE FROM quota_counters WHERE metric IN ('rpm', 'tpm') AND window_start < ?", [minuteBefore]);
        this.run(
          "DELETE FROM quota_counters WHERE metric IN ('budget', 'token_budget') AND window_start < ? AND window_start > 0",
          [periodBefore],
        );
      }),
    );
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}
