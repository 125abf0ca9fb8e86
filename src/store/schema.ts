// The schema, as numbered migrations for each back end. A store applies the ones it has not
// applied yet, in one transaction each, and refuses a database whose schema is newer than the
// binary (a downgrade would misread it). Add a migration at the end; never edit a shipped one.
// Times are ms since the epoch and money is nano-units, as integers in both back ends.
// A name is unique among keys that are not revoked, so a revoked key's name can be given again
// while its ledger rows keep pointing at the old key's id.

import { rollupMigration } from '../ledger/rollup.ts';

export const SCHEMA_VERSION = 3;

const sqlite: string[] = [
  `CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    models TEXT NOT NULL,
    rpm INTEGER, tpm INTEGER,
    budget_nano INTEGER, budget_tokens INTEGER, budget_period TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    expires_at INTEGER, revoked_at INTEGER,
    version INTEGER NOT NULL
  );
  CREATE INDEX api_keys_version ON api_keys (version);
  CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
  CREATE TABLE ledger (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL, request_id TEXT NOT NULL, key_id TEXT,
    endpoint TEXT NOT NULL, route TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
    stream INTEGER NOT NULL, status INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
    cost_nano INTEGER, latency_ms REAL NOT NULL, ttfb_ms REAL, error TEXT
  );
  CREATE INDEX ledger_ts ON ledger (ts);
  CREATE INDEX ledger_key_ts ON ledger (key_id, ts);
  CREATE INDEX ledger_route_ts ON ledger (route, ts);
  CREATE INDEX ledger_model_ts ON ledger (model, ts);
  CREATE INDEX ledger_provider_ts ON ledger (provider, ts);
  CREATE TABLE quota_counters (
    key_id TEXT NOT NULL, metric TEXT NOT NULL, window_start INTEGER NOT NULL, used INTEGER NOT NULL,
    PRIMARY KEY (key_id, metric, window_start)
  ) WITHOUT ROWID;
  CREATE TABLE quota_leases (
    key_id TEXT NOT NULL, metric TEXT NOT NULL, window_start INTEGER NOT NULL, holder TEXT NOT NULL,
    amount INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, metric, window_start, holder)
  ) WITHOUT ROWID;`,
  // 2: the failed upstream attempts before a request's answer (retries, fallbacks), as JSON.
  'ALTER TABLE ledger ADD COLUMN attempts TEXT;',
  // 3: the hourly rollup the console's overview reads (src/ledger/rollup.ts), filled from the rows there.
  rollupMigration('sqlite'),
];

const postgres: string[] = [
  `CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    models TEXT NOT NULL,
    rpm BIGINT, tpm BIGINT,
    budget_nano BIGINT, budget_tokens BIGINT, budget_period TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
    expires_at BIGINT, revoked_at BIGINT,
    version BIGINT NOT NULL
  );
  CREATE INDEX api_keys_version ON api_keys (version);
  CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
  CREATE TABLE ledger (
    id BIGSERIAL PRIMARY KEY,
    ts BIGINT NOT NULL, request_id TEXT NOT NULL, key_id TEXT,
    endpoint TEXT NOT NULL, route TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
    stream SMALLINT NOT NULL, status INTEGER NOT NULL,
    input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL, cached_tokens BIGINT NOT NULL,
    cost_nano BIGINT, latency_ms DOUBLE PRECISION NOT NULL, ttfb_ms DOUBLE PRECISION, error TEXT
  );
  CREATE INDEX ledger_ts ON ledger (ts);
  CREATE INDEX ledger_key_ts ON ledger (key_id, ts);
  CREATE INDEX ledger_route_ts ON ledger (route, ts);
  CREATE INDEX ledger_model_ts ON ledger (model, ts);
  CREATE INDEX ledger_provider_ts ON ledger (provider, ts);
  CREATE TABLE quota_counters (
    key_id TEXT NOT NULL, metric TEXT NOT NULL, window_start BIGINT NOT NULL, used BIGINT NOT NULL,
    PRIMARY KEY (key_id, metric, window_start)
  );
  CREATE TABLE quota_leases (
    key_id TEXT NOT NULL, metric TEXT NOT NULL, window_start BIGINT NOT NULL, holder TEXT NOT NULL,
    amount BIGINT NOT NULL, expires_at BIGINT NOT NULL,
    PRIMARY KEY (key_id, metric, window_start, holder)
  );`,
  'ALTER TABLE ledger ADD COLUMN attempts TEXT;',
  rollupMigration('postgres'),
];

export const MIGRATIONS = { sqlite, postgres } as const;

/** store_meta holds the schema version and the keys' version counter (one row each). */
export const META_TABLE_SQL = 'CREATE TABLE IF NOT EXISTS store_meta (name TEXT PRIMARY KEY, value BIGINT NOT NULL)';

export function newerSchemaMessage(found: number): string {
  return `the database has schema version ${found}, newer than this ai-proxy understands (${SCHEMA_VERSION}): run the newer ai-proxy, or restore a backup made before the upgrade`;
}
