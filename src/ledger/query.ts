// Ledger queries, bounded by design: every query has a time range, a row or group limit, and
// filters that each have an index ((key_id, ts), (model, ts), (provider, ts), (route, ts), (ts)).
// The SQL is built here once for both back ends; only the placeholder style differs.
import type { FailedAttempt, LedgerRow } from './row.ts';

export const USAGE_DIMENSIONS = [
  'key',
  'route',
  'model',
  'provider',
  'endpoint',
  'status',
  'day',
  'hour',
  'minute',
] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

export interface LedgerFilter {
  /** Inclusive start, ms since the epoch. */
  since: number;
  /** Exclusive end, ms since the epoch. */
  until: number;
  /** Key ids; the string "admin" stands for requests made with AUTH_TOKEN. */
  keyIds?: string[];
  routes?: string[];
  models?: string[];
  providers?: string[];
  /** Only failed requests (status >= 400) or only successful ones. */
  outcome?: 'error' | 'ok';
}

export interface UsageQuery extends LedgerFilter {
  by: UsageDimension[];
  /** At most this many groups (largest request count first); default and cap MAX_GROUPS. */
  limit?: number;
}

export interface UsageGroup {
  /** The group's value per dimension: key id ("admin" for AUTH_TOKEN), names, status, or the UTC day/hour/minute. */
  group: Partial<Record<UsageDimension, string>>;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** Sum over priced requests only. */
  costNano: number;
  /** Requests with tokens but no price: their cost is unknown, not zero. */
  unpricedRequests: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  avgTtfbMs: number | null;
}

export interface RequestQuery extends LedgerFilter {
  /** The `next` cursor of the previous page. */
  cursor?: string;
  /** Rows per page; default 100, at most MAX_PAGE. */
  limit?: number;
}

export interface RequestPage {
  rows: (LedgerRow & { id: number })[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next: string | null;
}

export const MAX_GROUPS = 10_000;
export const MAX_PAGE = 1000;
/** Queries may span at most this long: enough for a year of daily totals, never a full scan by accident. */
export const MAX_RANGE_MS = 400 * 86_400_000;
export const ADMIN_KEY_ID = 'admin';

const DIMENSION_SQL: Record<UsageDimension, string> = {
  key: "COALESCE(key_id, 'admin')",
  route: 'route',
  model: 'model',
  provider: 'provider',
  endpoint: 'endpoint',
  status: 'status',
  day: '(ts / 86400000)',
  hour: '(ts / 3600000)',
  minute: '(ts / 60000)',
};

export interface Sql {
  text: string;
  params: (string | number)[];
}

/** Builds SQL with numbered ($1) or positional (?) placeholders. */
export class SqlBuilder {
  params: (string | number)[] = [];
  constructor(private readonly numbered: boolean) {}
  add(value: string | number): string {
    this.params.push(value);
    return this.numbered ? `$${this.params.length}` : '?';
  }
  list(values: readonly (string | number)[]): string {
    return values.map((v) => this.add(v)).join(', ');
  }
}

export function checkRange(f: LedgerFilter): void {
  if (!Number.isFinite(f.since) || !Number.isFinite(f.until) || f.until <= f.since)
    throw new RangeError('the time range is empty or invalid (until must be after since)');
  if (f.until - f.since > MAX_RANGE_MS)
    throw new RangeError(`the time range spans more than ${MAX_RANGE_MS / 86_400_000} days`);
}

function where(f: LedgerFilter, b: SqlBuilder): string {
  checkRange(f);
  const parts = [`ts >= ${b.add(f.since)}`, `ts < ${b.add(f.until)}`];
  if (f.keyIds?.length) {
    const ids = f.keyIds.filter((k) => k !== ADMIN_KEY_ID);
    const terms = [
      ...(ids.length ? [`key_id IN (${b.list(ids)})`] : []),
      ...(ids.length < f.keyIds.length ? ['key_id IS NULL'] : []),
    ];
    parts.push(`(${terms.join(' OR ')})`);
  }
  if (f.routes?.length) parts.push(`route IN (${b.list(f.routes)})`);
  if (f.models?.length) parts.push(`model IN (${b.list(f.models)})`);
  if (f.providers?.length) parts.push(`provider IN (${b.list(f.providers)})`);
  if (f.outcome === 'error') parts.push('status >= 400');
  if (f.outcome === 'ok') parts.push('status < 400');
  return parts.join(' AND ');
}

export function usageSql(q: UsageQuery, numbered: boolean): Sql {
  const b = new SqlBuilder(numbered);
  const dims = [...new Set(q.by)];
  const cols = dims.map((d, i) => `${DIMENSION_SQL[d]} AS g${i}`);
  const limit = Math.min(Math.max(1, Math.floor(q.limit ?? MAX_GROUPS)), MAX_GROUPS);
  const filter = where(q, b);
  const text = `SELECT ${[
    ...cols,
    'COUNT(*) AS requests',
    'SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS errors',
    'SUM(input_tokens) AS input_tokens',
    'SUM(output_tokens) AS output_tokens',
    'SUM(cached_tokens) AS cached_tokens',
    'SUM(COALESCE(cost_nano, 0)) AS cost_nano',
    'SUM(CASE WHEN cost_nano IS NULL AND input_tokens + output_tokens > 0 THEN 1 ELSE 0 END) AS unpriced',
    'AVG(latency_ms) AS avg_latency',
    'MAX(latency_ms) AS max_latency',
    'AVG(ttfb_ms) AS avg_ttfb',
  ].join(', ')} FROM ledger WHERE ${filter}${
    dims.length ? ` GROUP BY ${dims.map((_, i) => `g${i}`).join(', ')}` : ''
  } ORDER BY requests DESC${dims.length ? `, ${dims.map((_, i) => `g${i}`).join(', ')}` : ''} LIMIT ${limit}`;
  return { text, params: b.params };
}

/** Back ends return numbers as numbers or (PostgreSQL sums) as strings: one conversion for both. */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : v === null || v === undefined ? 0 : Number(v);
}

function dimensionValue(d: UsageDimension, v: unknown): string {
  if (d === 'day') return new Date(num(v) * 86_400_000).toISOString().slice(0, 10);
  if (d === 'hour') return `${new Date(num(v) * 3_600_000).toISOString().slice(0, 13)}:00Z`;
  if (d === 'minute') return `${new Date(num(v) * 60_000).toISOString().slice(0, 16)}Z`;
  return String(v ?? '');
}

export function usageGroups(q: UsageQuery, rows: Record<string, unknown>[]): UsageGroup[] {
  const dims = [...new Set(q.by)];
  return rows.map((r) => ({
    group: Object.fromEntries(dims.map((d, i) => [d, dimensionValue(d, r[`g${i}`])])),
    requests: num(r.requests),
    errors: num(r.errors),
    inputTokens: num(r.input_tokens),
    outputTokens: num(r.output_tokens),
    cachedTokens: num(r.cached_tokens),
    costNano: num(r.cost_nano),
    unpricedRequests: num(r.unpriced),
    avgLatencyMs: Math.round(num(r.avg_latency) * 10) / 10,
    maxLatencyMs: num(r.max_latency),
    avgTtfbMs: r.avg_ttfb === null || r.avg_ttfb === undefined ? null : Math.round(num(r.avg_ttfb) * 10) / 10,
  }));
}

function parseCursor(cursor: string): [number, number] {
  const m = /^(\d{1,16}):(\d{1,16})$/.exec(cursor);
  if (!m) throw new RangeError(`invalid cursor "${cursor.slice(0, 40)}"`);
  return [Number(m[1]), Number(m[2])];
}

export function requestsSql(q: RequestQuery, numbered: boolean): Sql & { limit: number } {
  const b = new SqlBuilder(numbered);
  const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 100)), MAX_PAGE);
  let filter = where(q, b);
  if (q.cursor) {
    const [ts, id] = parseCursor(q.cursor);
    filter += ` AND (ts < ${b.add(ts)} OR (ts = ${b.add(ts)} AND id < ${b.add(id)}))`;
  }
  // One more row than asked says whether there is a next page.
  const text = `SELECT * FROM ledger WHERE ${filter} ORDER BY ts DESC, id DESC LIMIT ${limit + 1}`;
  return { text, params: b.params, limit };
}

/** The attempts column (JSON text, or NULL in rows written before it existed). */
function parseAttempts(v: unknown): FailedAttempt[] | null {
  if (typeof v !== 'string' || v === '') return null;
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? (parsed as FailedAttempt[]) : null;
  } catch {
    return null;
  }
}

export function requestPage(rows: Record<string, unknown>[], limit: number): RequestPage {
  const page = rows.slice(0, limit).map((r) => ({
    id: num(r.id),
    ts: num(r.ts),
    requestId: String(r.request_id),
    keyId: r.key_id === null ? null : String(r.key_id),
    endpoint: String(r.endpoint),
    route: String(r.route),
    provider: String(r.provider),
    model: String(r.model),
    stream: num(r.stream) === 1,
    status: num(r.status),
    inputTokens: num(r.input_tokens),
    outputTokens: num(r.output_tokens),
    cachedTokens: num(r.cached_tokens),
    costNano: r.cost_nano === null ? null : num(r.cost_nano),
    latencyMs: num(r.latency_ms),
    ttfbMs: r.ttfb_ms === null ? null : num(r.ttfb_ms),
    error: r.error === null ? null : String(r.error),
    attempts: parseAttempts(r.attempts),
  }));
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last ? `${last.ts}:${last.id}` : null };
}

export interface QuantileQuery extends LedgerFilter {
  /** Latency to the end of the response, or time to the upstream's first byte. */
  metric: 'latency' | 'ttfb';
  /** One dimension to split by (provider, for a console's per-provider p50/p95), or none. */
  by?: Exclude<UsageDimension, 'day' | 'hour' | 'minute'>;
  /** Quantiles in (0, 1], e.g. [0.5, 0.95]. */
  quantiles: number[];
}

export interface QuantileGroup {
  group: string;
  count: number;
  /** Quantile -> milliseconds (the nearest-rank value). */
  values: Record<string, number>;
}

/**
 * Nearest-rank quantiles in one pass over the filtered rows (window functions, the same SQL in
 * both back ends). Ranks are compared in integers (permille), so SQLite and PostgreSQL agree.
 */
export function quantilesSql(q: QuantileQuery, numbered: boolean): Sql {
  const permille = [...new Set(q.quantiles.map((x) => Math.round(x * 1000)))];
  if (permille.length === 0 || permille.some((p) => !(p >= 1 && p <= 1000)))
    throw new RangeError('quantiles must be in (0, 1]');
  const b = new SqlBuilder(numbered);
  const column = q.metric === 'ttfb' ? 'ttfb_ms' : 'latency_ms';
  const dim = q.by ? DIMENSION_SQL[q.by] : "''";
  const filter = where(q, b);
  const ranks = permille.map((p) => `(rn * 1000 >= cnt * ${p} AND (rn - 1) * 1000 < cnt * ${p})`).join(' OR ');
  const text = `SELECT g, cnt, rn, v FROM (SELECT ${dim} AS g, ${column} AS v, ROW_NUMBER() OVER (PARTITION BY ${dim} ORDER BY ${column}) AS rn, COUNT(*) OVER (PARTITION BY ${dim}) AS cnt FROM ledger WHERE ${filter} AND ${column} IS NOT NULL) t WHERE ${ranks} ORDER BY g, rn LIMIT ${MAX_GROUPS}`;
  return { text, params: b.params };
}

export function quantileGroups(q: QuantileQuery, rows: Record<string, unknown>[]): QuantileGroup[] {
  const groups = new Map<string, QuantileGroup>();
  for (const r of rows) {
    const g = String(r.g ?? '');
    const count = num(r.cnt);
    const rank = num(r.rn);
    let group = groups.get(g);
    if (!group) groups.set(g, (group = { group: g, count, values: {} }));
    for (const x of q.quantiles)
      if (Math.max(1, Math.ceil((Math.round(x * 1000) * count) / 1000)) === rank) group.values[String(x)] = num(r.v);
  }
  return [...groups.values()];
}
