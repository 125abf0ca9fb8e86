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
import { LEDGER_COLUMNS, rowValues, type LedgerRow } from '../ledger/row.ts';
import { computeGrant, isPerMinute, MINUTE_MS, type CounterRef, type LeaseRequest } from '../quota/grant.ts';
import { keyFromRow, KEY_COLUMNS, keyValues } from './key-rows.ts';
import { META_TABLE_SQL, MIGRATIONS, newerSchemaMessage, SCHEMA_VERSION } from './schema.ts';
import { StoreError, type QuotaFlush, type Store } from './types.ts';
import { redactUrl } from './url.ts';

type Row = Record<string, unknown>;
type Value = string | number | null | (string | number | null)[];

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

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {}

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
    await this.transaction(async (c) => {
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

  private async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query(begin);
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (error) {
      await c.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      c.release();
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      // A RangeError is the caller's query (an empty time range), not the store failing.
      if (error instanceof StoreError || error instanceof RangeError) throw error;
      throw new StoreError(`${what}: ${(error as Error).message}`);
    }
  }

  private async rows(sql: string, params: Value[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  keysVersion(): Promise<number> {
    return this.call('reading the keys version', async () =>
      Number((await this.rows("SELECT value FROM store_meta WHERE name = 'keys_version'"))[0]!.value),
    );
  }

  keysChangedSince(version: number): Promise<{ version: number; keys: KeyRecord[] }> {
    return this.call('loading keys', () =>
      this.transaction(async (c) => {
        const current = Number(
          (await c.query("SELECT value FROM store_meta WHERE name = 'keys_version'")).rows[0].value,
        );
        const rows = (await c.query('SELECT * FROM api_keys WHERE version > $1 ORDER BY version', [version])).rows;
        return { version: current, keys: (rows as Row[]).map(keyFromRow) };
      }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
    );
  }

  listKeys(): Promise<KeyRecord[]> {
    return this.call('listing keys', async () =>
      (await this.rows('SELECT * FROM api_keys ORDER BY name')).map(keyFromRow),
    );
  }

  findKey(ref: { id?: string; name?: string; hash?: string }): Promise<KeyRecord | undefined> {
    return this.call('finding a key', async () => {
      const [column, value] = ref.id ? ['id', ref.id] : ref.name ? ['name', ref.name] : ['hash', ref.hash ?? ''];
      const row = (
        await this.rows(
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
    return this.call('creating the key', () =>
      this.transaction(async (c) => {
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
    return this.call('changing the key', () =>
      this.transaction(async (c) => {
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
    return this.call('writing ledger rows', async () => {
      const columns: (string | number | null)[][] = LEDGER_COLUMNS.map(() => []);
      for (const r of rows) rowValues(r).forEach((v, i) => columns[i]!.push(v));
      const arrays = LEDGER_ARRAY_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
      await this.pool.query(
        `INSERT INTO ledger (${LEDGER_COLUMNS.join(', ')}) SELECT * FROM unnest(${arrays})`,
        columns,
      );
    });
  }

  deleteRowsBefore(before: number, limit: number): Promise<number> {
    return this.call('deleting old ledger rows', async () => {
      const r = await this.pool.query(
        'DELETE FROM ledger WHERE id IN (SELECT id FROM ledger WHERE ts < $1 ORDER BY ts LIMIT $2)',
        [before, limit],
      );
      return r.rowCount ?? 0;
    });
  }

  usage(query: UsageQuery) {
    return this.call('querying usage', async () => {
      const { text, params } = usageSql(query, true);
      return usageGroups(query, await this.rows(text, params));
    });
  }

  requests(query: RequestQuery) {
    return this.call('querying requests', async () => {
      const { text, params, limit } = requestsSql(query, true);
      return requestPage(await this.rows(text, params), limit);
    });
  }

  quantiles(query: QuantileQuery) {
    return this.call('querying latency quantiles', async () => {
      const { text, params } = quantilesSql(query, true);
      return quantileGroups(query, await this.rows(text, params));
    });
  }

  acquireLease(r: LeaseRequest) {
    const { keyId, metric, window } = r.ref;
    return this.call('taking a limit lease', () =>
      this.transaction(async (c) => {
        // The upsert locks the counter row until COMMIT: grants of one counter are serialised.
        const used = Number(
          (
            await c.query(
              `INSERT INTO quota_counters (key_id, metric, window_start, used) VALUES ($1, $2, $3, $4)
               ON CONFLICT (key_id, metric, window_start) DO UPDATE SET used = quota_counters.used + EXCLUDED.used
               RETURNING used`,
              [keyId, metric, window, r.pending],
            )
          ).rows[0].used,
        );
        const previousUsed = isPerMinute(metric)
          ? Number(
              (
                await c.query(
                  'SELECT used FROM quota_counters WHERE key_id = $1 AND metric = $2 AND window_start = $3',
                  [keyId, metric, window - MINUTE_MS],
                )
              ).rows[0]?.used ?? 0,
            )
          : 0;
        const o = (
          await c.query(
            `SELECT COALESCE(SUM(amount), 0) AS others, COUNT(*) AS holders FROM quota_leases
             WHERE key_id = $1 AND metric = $2 AND window_start = $3 AND holder <> $4 AND expires_at > $5 AND amount > 0`,
            [keyId, metric, window, r.holder, r.now],
          )
        ).rows[0];
        const state = { used, previousUsed, others: Number(o.others), otherHolders: Number(o.holders) };
        const grant = computeGrant(metric, state, r.limit, window, r.now);
        await c.query(
          `INSERT INTO quota_leases (key_id, metric, window_start, holder, amount, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_id, metric, window_start, holder)
           DO UPDATE SET amount = EXCLUDED.amount, expires_at = EXCLUDED.expires_at`,
          [keyId, metric, window, r.holder, grant, r.now + r.leaseMs],
        );
        return { ...state, grant };
      }),
    );
  }

  flushQuota(holder: string, flushes: readonly QuotaFlush[], now: number, leaseMs: number): Promise<void> {
    // One lock order for every holder (key, metric, window), so concurrent flushes cannot deadlock.
    const ordered = flushes.filter((f) => f.delta !== 0).sort((a, b) => compareRefs(a.ref, b.ref));
    return this.call('flushing limit counters', () =>
      this.transaction(async (c) => {
        for (const { ref, delta } of ordered) {
          await c.query(
            `INSERT INTO quota_counters (key_id, metric, window_start, used) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key_id, metric, window_start) DO UPDATE SET used = quota_counters.used + EXCLUDED.used`,
            [ref.keyId, ref.metric, ref.window, delta],
          );
          await c.query(
            `UPDATE quota_leases SET amount = GREATEST(amount - $1, 0)
             WHERE key_id = $2 AND metric = $3 AND window_start = $4 AND holder = $5`,
            [delta, ref.keyId, ref.metric, ref.window, holder],
          );
        }
        await c.query('UPDATE quota_leases SET expires_at = $1 WHERE holder = $2 AND expires_at > $3', [
          now + leaseMs,
          holder,
          now,
        ]);
      }),
    );
  }

  releaseLeases(holder: string, refs: readonly CounterRef[]): Promise<void> {
    return this.call('releasing limit leases', async () => {
      for (const ref of refs)
        await this.pool.query(
          'DELETE FROM quota_leases WHERE key_id = $1 AND metric = $2 AND window_start = $3 AND holder = $4',
          [ref.keyId, ref.metric, ref.window, holder],
        );
    });
  }

  counters(refs: readonly CounterRef[]): Promise<number[]> {
    return this.call('reading limit counters', async () => {
      if (refs.length === 0) return [];
      const rows = await this.rows(
        `SELECT c.used FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS r (key_id, metric, window_start, n)
         LEFT JOIN quota_counters c USING (key_id, metric, window_start) ORDER BY r.n`,
        [refs.map((r) => r.keyId), refs.map((r) => r.metric), refs.map((r) => r.window)],
      );
      return rows.map((r) => Number(r.used ?? 0));
    });
  }

  pruneQuota(now: number, minuteBefore: number, periodBefore: number): Promise<void> {
    return this.call('pruning limit counters', async () => {
      await this.pool.query('DELETE FROM quota_leases WHERE expires_at <= $1', [now]);
      await this.pool.query("DELETE FROM quota_counters WHERE metric IN ('rpm', 'tpm') AND window_start < $1", [
        minuteBefore,
      ]);
      await this.pool.query(
        "DELETE FROM quota_counters WHERE metric IN ('budget', 'token_budget') AND window_start < $1 AND window_start > 0",
        [periodBefore],
      );
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function compareRefs(a: CounterRef, b: CounterRef): number {
  return a.keyId < b.keyId
    ? -1
    : a.keyId > b.keyId
      ? 1
      : a.metric < b.metric
        ? -1
        : a.metric > b.metric
          ? 1
          : a.window - b.window;
}
