// The ledger's hourly rollup: per hour, key, route, provider and model, the sums a usage query
// needs; per hour and provider, histograms of latency and time to first byte. Both are written
// in the transaction that writes the rows they sum, so a console's overview of 30 days reads at
// most 720 hours of sums instead of every row (a million rows take SQLite seconds), exactly for
// counts, tokens and money. Quantiles from a histogram are estimates within their bucket.
import {
  ADMIN_KEY_ID,
  checkRange,
  MAX_GROUPS,
  num,
  type QuantileGroup,
  type QuantileQuery,
  type Sql,
  SqlBuilder,
  type UsageDimension,
  type UsageQuery,
} from './query.ts';
import type { LedgerRow } from './row.ts';

export const HOUR_MS = 3_600_000;

/** Upper bounds (ms, exclusive) of the histogram buckets; one more bucket holds everything above. */
export const BUCKET_BOUNDS = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000, 7000, 10_000,
  15_000, 20_000, 30_000, 50_000, 70_000, 100_000, 150_000, 200_000, 300_000,
];

export function bucketOf(ms: number): number {
  let i = 0;
  while (i < BUCKET_BOUNDS.length && ms >= BUCKET_BOUNDS[i]!) i++;
  return i;
}

/** The same bucket as bucketOf, in SQL (the migration fills the rollup from existing rows). */
export function bucketSql(column: string): string {
  return `CASE ${BUCKET_BOUNDS.map((b, i) => `WHEN ${column} < ${b} THEN ${i}`).join(' ')} ELSE ${BUCKET_BOUNDS.length} END`;
}

const HOURLY_KEY = ['hour', 'key_id', 'route', 'provider', 'model'] as const;
const HOURLY_SUMS = [
  'requests',
  'errors',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'cost_nano',
  'unpriced',
  'latency_sum',
  'ttfb_sum',
  'ttfb_count',
] as const;
export const HOURLY_COLUMNS = [...HOURLY_KEY, ...HOURLY_SUMS, 'latency_max'] as const;
/** PostgreSQL element types of HOURLY_COLUMNS, for INSERT ... SELECT FROM unnest(...). */
export const HOURLY_PG_TYPES = [
  'bigint',
  'text',
  'text',
  'text',
  'text',
  ...['bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'float8', 'float8', 'bigint'],
  'float8',
];
export const HISTOGRAM_COLUMNS = ['hour', 'provider', 'metric', 'bucket', 'count'] as const;
export const HISTOGRAM_PG_TYPES = ['bigint', 'text', 'text', 'integer', 'bigint'];

export type Cell = (string | number)[];

/** A batch of rows as the rollup cells they add to: one per cell, so no statement touches a cell twice. */
export function rollupCells(rows: readonly LedgerRow[]): { hourly: Cell[]; histogram: Cell[] } {
  const hourly = new Map<string, number[] & Cell>();
  const histogram = new Map<string, Cell>();
  const count = (hour: number, provider: string, metric: string, ms: number) => {
    const bucket = bucketOf(ms);
    const id = `${hour}\u0000${provider}\u0000${metric}\u0000${bucket}`;
    const cell = histogram.get(id);
    if (cell) cell[4] = (cell[4] as number) + 1;
    else histogram.set(id, [hour, provider, metric, bucket, 1]);
  };
  for (const r of rows) {
    const hour = Math.floor(r.ts / HOUR_MS);
    const key = r.keyId ?? ADMIN_KEY_ID;
    const id = `${hour}\u0000${key}\u0000${r.route}\u0000${r.provider}\u0000${r.model}`;
    let c = hourly.get(id) as Cell | undefined;
    if (!c) {
      c = [hour, key, r.route, r.provider, r.model, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
      hourly.set(id, c as number[] & Cell);
    }
    const add = (i: number, v: number) => (c[i] = (c[i] as number) + v);
    add(5, 1);
    add(6, r.status >= 400 ? 1 : 0);
    add(7, r.inputTokens);
    add(8, r.outputTokens);
    add(9, r.cachedTokens);
    add(10, r.costNano ?? 0);
    add(11, r.costNano === null && r.inputTokens + r.outputTokens > 0 ? 1 : 0);
    add(12, r.latencyMs);
    if (r.ttfbMs !== null) {
      add(13, r.ttfbMs);
      add(14, 1);
    }
    c[15] = Math.max(c[15] as number, r.latencyMs);
    count(hour, r.provider, 'latency', r.latencyMs);
    if (r.ttfbMs !== null) count(hour, r.provider, 'ttfb', r.ttfbMs);
  }
  return { hourly: [...hourly.values()], histogram: [...histogram.values()] };
}

/** Adds the cells to what is there: the upsert of each table, for one row of values (SQLite) or unnest arrays (PostgreSQL). */
export function upsertSql(kind: 'sqlite' | 'postgres'): { hourly: string; histogram: string } {
  const sums = [
    ...HOURLY_SUMS.map((c) => `${c} = t.${c} + excluded.${c}`),
    `latency_max = ${kind === 'sqlite' ? 'MAX' : 'GREATEST'}(t.latency_max, excluded.latency_max)`,
  ];
  const values = (columns: readonly string[], types: string[]) =>
    kind === 'sqlite'
      ? `VALUES (${columns.map(() => '?').join(', ')})`
      : `SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;
  return {
    hourly: `INSERT INTO ledger_hourly AS t (${HOURLY_COLUMNS.join(', ')}) ${values(HOURLY_COLUMNS, HOURLY_PG_TYPES)} ON CONFLICT (${HOURLY_KEY.join(', ')}) DO UPDATE SET ${sums.join(', ')}`,
    histogram: `INSERT INTO ledger_hourly_latency AS t (${HISTOGRAM_COLUMNS.join(', ')}) ${values(HISTOGRAM_COLUMNS, HISTOGRAM_PG_TYPES)} ON CONFLICT (hour, provider, metric, bucket) DO UPDATE SET count = t.count + excluded.count`,
  };
}

/** The migration that creates the rollup and fills it from the rows already there. */
export function rollupMigration(kind: 'sqlite' | 'postgres'): string {
  const int = kind === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const real = kind === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const hour = `CAST(ts / ${HOUR_MS} AS ${int})`;
  const noRowId = kind === 'sqlite' ? ' WITHOUT ROWID' : '';
  return `CREATE TABLE ledger_hourly (
    hour ${int} NOT NULL, key_id TEXT NOT NULL, route TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
    requests ${int} NOT NULL, errors ${int} NOT NULL, input_tokens ${int} NOT NULL, output_tokens ${int} NOT NULL,
    cached_tokens ${int} NOT NULL, cost_nano ${int} NOT NULL, unpriced ${int} NOT NULL,
    latency_sum ${real} NOT NULL, ttfb_sum ${real} NOT NULL, ttfb_count ${int} NOT NULL, latency_max ${real} NOT NULL,
    PRIMARY KEY (hour, key_id, route, provider, model)
  )${noRowId};
  CREATE TABLE ledger_hourly_latency (
    hour ${int} NOT NULL, provider TEXT NOT NULL, metric TEXT NOT NULL, bucket INTEGER NOT NULL, count ${int} NOT NULL,
    PRIMARY KEY (hour, provider, metric, bucket)
  )${noRowId};
  INSERT INTO ledger_hourly (${HOURLY_COLUMNS.join(', ')})
    SELECT ${hour}, COALESCE(key_id, '${ADMIN_KEY_ID}'), route, provider, model, COUNT(*),
      SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens),
      SUM(COALESCE(cost_nano, 0)), SUM(CASE WHEN cost_nano IS NULL AND input_tokens + output_tokens > 0 THEN 1 ELSE 0 END),
      SUM(latency_ms), COALESCE(SUM(ttfb_ms), 0), COUNT(ttfb_ms), MAX(latency_ms)
    FROM ledger GROUP BY 1, 2, 3, 4, 5;
  INSERT INTO ledger_hourly_latency (${HISTOGRAM_COLUMNS.join(', ')})
    SELECT ${hour}, provider, 'latency', ${bucketSql('latency_ms')}, COUNT(*) FROM ledger GROUP BY 1, 2, 4;
  INSERT INTO ledger_hourly_latency (${HISTOGRAM_COLUMNS.join(', ')})
    SELECT ${hour}, provider, 'ttfb', ${bucketSql('ttfb_ms')}, COUNT(*) FROM ledger WHERE ttfb_ms IS NOT NULL GROUP BY 1, 2, 4;`;
}

const ROLLUP_DIMENSIONS: Partial<Record<UsageDimension, string>> = {
  key: 'key_id',
  route: 'route',
  model: 'model',
  provider: 'provider',
  day: '(hour / 24)',
  hour: 'hour',
};

/** Whole hours, and only what the rollup keeps (no status, endpoint or minute; no outcome filter). */
function checkHourly(q: UsageQuery | QuantileQuery, dims: readonly UsageDimension[]): void {
  checkRange(q);
  if (q.since % HOUR_MS !== 0 || q.until % HOUR_MS !== 0)
    throw new RangeError('the hourly rollup needs a range of whole hours (UTC)');
  const bad = dims.find((d) => ROLLUP_DIMENSIONS[d] === undefined);
  if (bad) throw new RangeError(`the hourly rollup cannot group by ${bad}`);
  if (q.outcome) throw new RangeError('the hourly rollup cannot filter by outcome');
}

function hourlyWhere(q: UsageQuery | QuantileQuery, b: SqlBuilder, withKeys: boolean): string {
  const parts = [`hour >= ${b.add(q.since / HOUR_MS)}`, `hour < ${b.add(q.until / HOUR_MS)}`];
  if (withKeys && q.keyIds?.length) parts.push(`key_id IN (${b.list(q.keyIds)})`);
  if (withKeys && q.routes?.length) parts.push(`route IN (${b.list(q.routes)})`);
  if (withKeys && q.models?.length) parts.push(`model IN (${b.list(q.models)})`);
  if (q.providers?.length) parts.push(`provider IN (${b.list(q.providers)})`);
  return parts.join(' AND ');
}

/** usageSql over the rollup: the same result columns, so usageGroups reads them. */
export function hourlyUsageSql(q: UsageQuery, numbered: boolean): Sql {
  const dims = [...new Set(q.by)];
  checkHourly(q, dims);
  const b = new SqlBuilder(numbered);
  const limit = Math.min(Math.max(1, Math.floor(q.limit ?? MAX_GROUPS)), MAX_GROUPS);
  const groups = dims.map((_, i) => `g${i}`);
  const text = `SELECT ${[
    ...dims.map((d, i) => `${ROLLUP_DIMENSIONS[d]} AS g${i}`),
    'SUM(requests) AS requests',
    'SUM(errors) AS errors',
    'SUM(input_tokens) AS input_tokens',
    'SUM(output_tokens) AS output_tokens',
    'SUM(cached_tokens) AS cached_tokens',
    'SUM(cost_nano) AS cost_nano',
    'SUM(unpriced) AS unpriced',
    'SUM(latency_sum) / SUM(requests) AS avg_latency',
    'MAX(latency_max) AS max_latency',
    'CASE WHEN SUM(ttfb_count) > 0 THEN SUM(ttfb_sum) / SUM(ttfb_count) END AS avg_ttfb',
  ].join(
    ', ',
  )} FROM ledger_hourly WHERE ${hourlyWhere(q, b, true)}${groups.length ? ` GROUP BY ${groups.join(', ')}` : ''} ORDER BY requests DESC${groups.length ? `, ${groups.join(', ')}` : ''} LIMIT ${limit}`;
  return { text, params: b.params };
}

/** Histogram counts per provider (or overall) and bucket, for hourlyQuantiles. */
export function hourlyQuantilesSql(q: QuantileQuery, numbered: boolean): Sql {
  checkHourly(q, q.by ? [q.by] : []);
  if (q.by && q.by !== 'provider') throw new RangeError('hourly quantiles are kept per provider only');
  if (q.keyIds?.length || q.routes?.length || q.models?.length)
    throw new RangeError('hourly quantiles can be filtered by provider only');
  const b = new SqlBuilder(numbered);
  const g = q.by ? 'provider' : "''";
  const text = `SELECT ${g} AS g, bucket, SUM(count) AS n FROM ledger_hourly_latency WHERE metric = ${b.add(q.metric)} AND ${hourlyWhere(q, b, false)} GROUP BY ${g === "''" ? 'bucket' : 'provider, bucket'} ORDER BY 1, 2`;
  return { text, params: b.params };
}

/** Quantiles from bucket counts: the rank's bucket, linearly inside it (the open last bucket: its floor). */
export function histogramQuantiles(q: QuantileQuery, rows: Record<string, unknown>[]): QuantileGroup[] {
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    const g = String(r.g ?? '');
    let counts = groups.get(g);
    if (!counts) groups.set(g, (counts = new Array<number>(BUCKET_BOUNDS.length + 1).fill(0)));
    counts[num(r.bucket)]! += num(r.n);
  }
  return [...groups].map(([group, counts]) => {
    const total = counts.reduce((a, b) => a + b, 0);
    const values: Record<string, number> = {};
    for (const x of q.quantiles) {
      const rank = Math.max(1, Math.ceil(x * total));
      let before = 0;
      for (let i = 0; i < counts.length; i++) {
        const n = counts[i]!;
        if (before + n >= rank) {
          const lo = i === 0 ? 0 : BUCKET_BOUNDS[i - 1]!;
          const hi = BUCKET_BOUNDS[i];
          values[String(x)] = hi === undefined ? lo : Math.round(lo + ((hi - lo) * (rank - before)) / n);
          break;
        }
        before += n;
      }
    }
    return { group, count: total, values };
  });
}
