// The embedded store: one SQLite file through Node's built-in node:sqlite (no native addon, so it
// works inside the single executable). WAL mode lets the CLI (`docker exec ... keys create`) and
// the proxy use the file at once. Calls are synchronous, so the proxy keeps them short: batched
// ledger inserts, a busy timeout of a few milliseconds (a locked file is an error the caller
// retries later, never a stalled event loop), and nothing per request.
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
import {
  HOUR_MS,
  histogramQuantiles,
  hourlyQuantilesSql,
  hourlyUsageSql,
  rollupCells,
  upsertSql,
} from '../ledger/rollup.ts';
import { LEDGER_COLUMNS, rowValues, type LedgerRow } from '../ledger/row.ts';
import type { CounterRef, LeaseRequest } from '../quota/grant.ts';
import { keyFromRow, KEY_COLUMNS, keyValues } from './key-rows.ts';
import { META_TABLE_SQL, MIGRATIONS, newerSchemaMessage, SCHEMA_VERSION } from './schema.ts';
import { SqliteDb } from './sqlite-db.ts';
import { SqliteQuota } from './sqlite-quota.ts';
import { KEY_PAGE, pageOfChanges, StoreError, type KeyChanges, type QuotaFlush, type Store } from './types.ts';

const UPSERT = upsertSql('sqlite');

export const DATABASE_FILE = 'ai-proxy.db';

export interface SqliteOptions {
  /** How long a write waits for another process's write to finish (ms). */
  busyTimeoutMs?: number;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly quota: SqliteQuota;

  private constructor(
    private readonly db: SqliteDb,
    readonly location: string,
  ) {
    this.quota = new SqliteQuota(db);
  }

  /** Opens (creating the file, and its folder when missing) and migrates. */
  static open(path: string, options: SqliteOptions = {}): SqliteStore {
    const db = SqliteDb.open(path, options.busyTimeoutMs ?? 5000);
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
    this.db.transaction(() => {
      const found = Number(this.db.get("SELECT value FROM store_meta WHERE name = 'schema'")?.value ?? 0);
      if (found > SCHEMA_VERSION) throw new StoreError(newerSchemaMessage(found));
      for (let v = found; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS.sqlite[v]!);
      if (found < SCHEMA_VERSION) {
        this.db.run('INSERT INTO store_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = ?', [
          'schema',
          SCHEMA_VERSION,
          SCHEMA_VERSION,
        ]);
        this.db.run("INSERT INTO store_meta (name, value) VALUES ('keys_version', 0) ON CONFLICT DO NOTHING");
      }
    });
  }

  keysVersion(): Promise<number> {
    return this.db.call('reading the keys version', () =>
      Number(this.db.get("SELECT value FROM store_meta WHERE name = 'keys_version'")!.value),
    );
  }

  keysChangedSince(version: number, limit = KEY_PAGE): Promise<KeyChanges> {
    return this.db.call('loading keys', () => {
      // One read transaction: the version and the rows are of the same moment.
      this.db.exec('BEGIN');
      try {
        const current = Number(this.db.get("SELECT value FROM store_meta WHERE name = 'keys_version'")!.value);
        const keys = this.db
          .all('SELECT * FROM api_keys WHERE version > ? ORDER BY version LIMIT ?', [version, limit])
          .map(keyFromRow);
        return pageOfChanges(keys, limit, current);
      } finally {
        this.db.exec('COMMIT');
      }
    });
  }

  listKeys(): Promise<KeyRecord[]> {
    return this.db.call('listing keys', () => this.db.all('SELECT * FROM api_keys ORDER BY name').map(keyFromRow));
  }

  findKey(ref: { id?: string; name?: string; hash?: string }): Promise<KeyRecord | undefined> {
    return this.db.call('finding a key', () => {
      const [column, value] = ref.id ? ['id', ref.id] : ref.name ? ['name', ref.name] : ['hash', ref.hash ?? ''];
      const row = this.db.get(
        `SELECT * FROM api_keys WHERE ${column} = ? ORDER BY (revoked_at IS NULL) DESC, created_at DESC LIMIT 1`,
        [value],
      );
      return row ? keyFromRow(row) : undefined;
    });
  }

  private nextKeysVersion(): number {
    return Number(
      this.db.get("UPDATE store_meta SET value = value + 1 WHERE name = 'keys_version' RETURNING value")!.value,
    );
  }

  insertKey(key: Omit<KeyRecord, 'version'>): Promise<KeyRecord> {
    return this.db.call('creating the key', () =>
      this.db.transaction(() => {
        const version = this.nextKeysVersion();
        this.db.run(
          `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map(() => '?').join(', ')})`,
          keyValues(key, version),
        );
        return { ...key, version };
      }),
    );
  }

  updateKey(key: Omit<KeyRecord, 'version'>): Promise<KeyRecord> {
    return this.db.call('changing the key', () =>
      this.db.transaction(() => {
        const version = this.nextKeysVersion();
        const values = keyValues(key, version);
        const sets = KEY_COLUMNS.slice(1).map((c) => `${c} = ?`);
        this.db.run(`UPDATE api_keys SET ${sets.join(', ')} WHERE id = ?`, [...values.slice(1), key.id]);
        return { ...key, version };
      }),
    );
  }

  insertRows(rows: readonly LedgerRow[]): Promise<void> {
    const sql = `INSERT INTO ledger (${LEDGER_COLUMNS.join(', ')}) VALUES (${LEDGER_COLUMNS.map(() => '?').join(', ')})`;
    return this.db.call('writing ledger rows', () =>
      this.db.transaction(() => {
        const insert = this.db.statement(sql);
        for (const r of rows) insert.run(...rowValues(r));
        const cells = rollupCells(rows);
        const hourly = this.db.statement(UPSERT.hourly);
        for (const c of cells.hourly) hourly.run(...c);
        const histogram = this.db.statement(UPSERT.histogram);
        for (const c of cells.histogram) histogram.run(...c);
      }),
    );
  }

  deleteRowsBefore(before: number, limit: number): Promise<number> {
    return this.db.call('deleting old ledger rows', () => {
      // The rollup's hours that end before the cut go with their rows.
      const hour = Math.floor(before / HOUR_MS);
      this.db.run('DELETE FROM ledger_hourly WHERE hour < ?', [hour]);
      this.db.run('DELETE FROM ledger_hourly_latency WHERE hour < ?', [hour]);
      return Number(
        this.db
          .statement('DELETE FROM ledger WHERE id IN (SELECT id FROM ledger WHERE ts < ? ORDER BY ts LIMIT ?)')
          .run(before, limit).changes,
      );
    });
  }

  usage(query: UsageQuery) {
    return this.db.call('querying usage', () => {
      const { text, params } = usageSql(query, false);
      return usageGroups(query, this.db.query(text, params));
    });
  }

  requests(query: RequestQuery) {
    return this.db.call('querying requests', () => {
      const { text, params, limit } = requestsSql(query, false);
      return requestPage(this.db.query(text, params), limit);
    });
  }

  quantiles(query: QuantileQuery) {
    return this.db.call('querying latency quantiles', () => {
      const { text, params } = quantilesSql(query, false);
      return quantileGroups(query, this.db.query(text, params));
    });
  }

  hourlyUsage(query: UsageQuery) {
    return this.db.call('querying the hourly rollup', () => {
      const { text, params } = hourlyUsageSql(query, false);
      return usageGroups(query, this.db.query(text, params));
    });
  }

  hourlyQuantiles(query: QuantileQuery) {
    return this.db.call('querying the hourly latency histograms', () => {
      const { text, params } = hourlyQuantilesSql(query, false);
      return histogramQuantiles(query, this.db.query(text, params));
    });
  }

  acquireLease(r: LeaseRequest) {
    return this.quota.acquireLease(r);
  }
  acquireLeases(requests: readonly LeaseRequest[]) {
    return this.quota.acquireLeases(requests);
  }
  flushQuota(holder: string, flushes: readonly QuotaFlush[], now: number, leaseMs: number, renew = true) {
    return this.quota.flushQuota(holder, flushes, now, leaseMs, renew);
  }
  releaseLeases(holder: string, refs: readonly CounterRef[]) {
    return this.quota.releaseLeases(holder, refs);
  }
  counters(refs: readonly CounterRef[]) {
    return this.quota.counters(refs);
  }
  pruneQuota(now: number, minuteBefore: number, periodBefore: number) {
    return this.quota.pruneQuota(now, minuteBefore, periodBefore);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
