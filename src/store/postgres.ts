// The shared store: PostgreSQL through the `pg` client, for several replicas (Swarm, Kubernetes,
// ECS) that must enforce one set of keys, limits and budgets. In the release executable this
// module and `pg` are a separate SEA asset (pg.cjs) evaluated only when DATABASE_URL is set:
// errors crossing that line are recognised by name (isStoreError), never by instanceof.
import pg from 'pg';
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
  type Cell,
  HISTOGRAM_COLUMNS,
  HOUR_MS,
  HOURLY_COLUMNS,
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
import { PgDb, type Row } from './pg-db.ts';
import { PostgresQuota } from './postgres-quota.ts';
import { KEY_PAGE, pageOfChanges, StoreError, type KeyChanges, type QuotaFlush, type Store } from './types.ts';
import { redactUrl } from './url.ts';

// int8 (ids, times, counters) and numeric (SUM over int8) as JS numbers: every value the store
// keeps is far below 2^53, and callers compare and add them.
const NUMERIC_OIDS = new Set([20, 1700]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMERIC_OIDS.has(oid)
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

// Element types of the ledger columns, for one INSERT ... SELECT FROM unnest(...) per batch.
const LEDGER_ARRAY_TYPES = [
  'bigint',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'smallint',
  'integer',
  'bigint',
  'bigint',
  'bigint',
  'bigint',
  'float8',
  'float8',
  'text',
  'text',
];
const UPSERT = upsertSql('postgres');

/** Serialises schema migrations of replicas that start at once. */
const MIGRATION_LOCK = 7_236_218;

export interface PostgresOptions {
  /** Connections in the pool. */
  max?: number;
  /** Fail a query (and its caller's request path) after this long rather than hang (ms). */
  queryTimeoutMs?: number;
  /** Reports errors of idle connections (the database restarted); without a listener they would crash the process. */
  onIdleError?: (error: Error) => void;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;

  private readonly db: PgDb;
  private readonly quota: PostgresQuota;

  private constructor(
    pool: pg.Pool,
    readonly location: string,
  ) {
    this.db = new PgDb(pool);
    this.quota = new PostgresQuota(this.db);
  }

  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
    const location = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 4,
      connectionTimeoutMillis: 5000,
      query_timeout: options.queryTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'ai-proxy',
      types,
    });
    pool.on('error', (error) => options.onIdleError?.(error));
    const store = new PostgresStore(pool, location);
    try {
      await store.migrate();
    } catch (error) {
      await pool.end().catch(() => {});
      throw new StoreError(`${location}: ${(error as Error).message}`);
    }
    return store;
  }

  private async migrate(): Promise<void> {
    await this.db.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(META_TABLE_SQL);
      const found = Number((await c.query("SELECT value FROM store_meta WHERE name = 'schema'")).rows[0]?.value ?? 0);
      if (found > SCHEMA_VERSION) throw new StoreError(newerSchemaMessage(found));
      for (let v = found; v < SCHEMA_VERSION; v++) await c.query(MIGRATIONS.postgres[v]!);
      if (found < SCHEMA_VERSION) {
        await c.query(
          "INSERT INTO store_meta (name, value) VALUES ('schema', $1) ON CONFLICT (name) DO UPDATE SET value = $1",
          [SCHEMA_VERSION],
        );
        await c.query("INSERT INTO store_meta (name, value) VALUES ('keys_version', 0) ON CONFLICT DO NOTHING");
      }
    });
  }

  keysVersion(): Promise<number> {
    return this.db.call('reading the keys version', async () =>
      Number((await this.db.rows("SELECT value FROM store_meta WHERE name = 'keys_version'"))[0]!.value),
    );
  }

  keysChangedSince(version: number, limit = KEY_PAGE): Promise<KeyChanges> {
    return this.db.call('loading keys', () =>
      this.db.transaction(async (c) => {
        const current = Number(
          (await c.query("SELECT value FROM store_meta WHERE name = 'keys_version'")).rows[0].value,
        );
        const rows = (
          await c.query('SELECT * FROM api_keys WHERE version > $1 ORDER BY version LIMIT $2', [version, limit])
        ).rows;
        return pageOfChanges((rows as Row[]).map(keyFromRow), limit, current);
      }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
    );
  }

  listKeys(): Promise<KeyRecord[]> {
    return this.db.call('listing keys', async () =>
      (await this.db.rows('SELECT * FROM api_keys ORDER BY name')).map(keyFromRow),
    );
  }

  findKey(ref: { id?: string; name?: string; hash?: string }): Promise<KeyRecord | undefined> {
    return this.db.call('finding a key', async () => {
      const [column, value] = ref.id ? ['id', ref.id] : ref.name ? ['name', ref.name] : ['hash', ref.hash ?? ''];
      const row = (
        await this.db.rows(
          `SELECT * FROM api_keys WHERE ${column} = $1 ORDER BY (revoked_at IS NULL) DESC, created_at DESC LIMIT 1`,
          [value],
        )
      )[0];
      return row ? keyFromRow(row) : undefined;
    });
  }

  /** The version bump locks the one store_meta row: key changes commit in version order. */
  private async nextKeysVersion(c: pg.PoolClient): Promise<number> {
    const r = await c.query("UPDATE store_meta SET value = value + 1 WHERE name = 'keys_version' RETURNING value");
    return Number(r.rows[0].value);
  }

  insertKey(key: Omit<KeyRecord, 'version'>): Promise<KeyRecord> {
    return this.db.call('creating the key', () =>
      this.db.transaction(async (c) => {
        const version = await this.nextKeysVersion(c);
        await c.query(
          `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
          keyValues(key, version),
        );
        return { ...key, version };
      }),
    );
  }

  updateKey(key: Omit<KeyRecord, 'version'>): Promise<KeyRecord> {
    return this.db.call('changing the key', () =>
      this.db.transaction(async (c) => {
        const version = await this.nextKeysVersion(c);
        const values = keyValues(key, version);
        const sets = KEY_COLUMNS.slice(1).map((col, i) => `${col} = $${i + 1}`);
        await c.query(`UPDATE api_keys SET ${sets.join(', ')} WHERE id = $${KEY_COLUMNS.length}`, [
          ...values.slice(1),
          key.id,
        ]);
        return { ...key, version };
      }),
    );
  }

  insertRows(rows: readonly LedgerRow[]): Promise<void> {
    return this.db.call('writing ledger rows', async () => {
      const columns: (string | number | null)[][] = LEDGER_COLUMNS.map(() => []);
      for (const r of rows) rowValues(r).forEach((v, i) => columns[i]!.push(v));
      const arrays = LEDGER_ARRAY_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
      const cells = rollupCells(rows);
      const transpose = (cellRows: Cell[], width: number) =>
        Array.from({ length: width }, (_, i) => cellRows.map((c) => c[i]!));
      // The rows and the rollup cells they add to, in one transaction.
      await this.db.transaction(async (c) => {
        await c.query(`INSERT INTO ledger (${LEDGER_COLUMNS.join(', ')}) SELECT * FROM unnest(${arrays})`, columns);
        await c.query(UPSERT.hourly, transpose(cells.hourly, HOURLY_COLUMNS.length));
        await c.query(UPSERT.histogram, transpose(cells.histogram, HISTOGRAM_COLUMNS.length));
      });
    });
  }

  deleteRowsBefore(before: number, limit: number): Promise<number> {
    return this.db.call('deleting old ledger rows', async () => {
      // The rollup's hours that end before the cut go with their rows.
      const hour = Math.floor(before / HOUR_MS);
      await this.db.pool.query('DELETE FROM ledger_hourly WHERE hour < $1', [hour]);
      await this.db.pool.query('DELETE FROM ledger_hourly_latency WHERE hour < $1', [hour]);
      const r = await this.db.pool.query(
        'DELETE FROM ledger WHERE id IN (SELECT id FROM ledger WHERE ts < $1 ORDER BY ts LIMIT $2)',
        [before, limit],
      );
      return r.rowCount ?? 0;
    });
  }

  usage(query: UsageQuery) {
    return this.db.call('querying usage', async () => {
      const { text, params } = usageSql(query, true);
      return usageGroups(query, await this.db.rows(text, params));
    });
  }

  requests(query: RequestQuery) {
    return this.db.call('querying requests', async () => {
      const { text, params, limit } = requestsSql(query, true);
      return requestPage(await this.db.rows(text, params), limit);
    });
  }

  quantiles(query: QuantileQuery) {
    return this.db.call('querying latency quantiles', async () => {
      const { text, params } = quantilesSql(query, true);
      return quantileGroups(query, await this.db.rows(text, params));
    });
  }

  hourlyUsage(query: UsageQuery) {
    return this.db.call('querying the hourly rollup', async () => {
      const { text, params } = hourlyUsageSql(query, true);
      return usageGroups(query, await this.db.rows(text, params));
    });
  }

  hourlyQuantiles(query: QuantileQuery) {
    return this.db.call('querying the hourly latency histograms', async () => {
      const { text, params } = hourlyQuantilesSql(query, true);
      return histogramQuantiles(query, await this.db.rows(text, params));
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
    await this.db.pool.end();
  }
}
