// The overview page's numbers for one time range: requests, tokens and spend over time (one
// point per minute, hour or day), the same by key, model and provider, each provider's error
// rate and p50/p95 latency and time to first byte, and the keys closest to their budgets.
// The last hour is read from the ledger's rows (a point per minute, exact quantiles); longer
// ranges from its hourly rollup (whole hours of sums: milliseconds over a month of a million
// rows; quantiles estimated from histograms). Results are kept for a few seconds (longer for
// longer ranges) so that several open consoles refreshing every second cost one query each.
import { budgetStatus, listKeys } from '../keys/service.ts';
import type { QuantileGroup, QuantileQuery, UsageDimension, UsageGroup, UsageQuery } from '../ledger/query.ts';
import type { Store } from '../store/types.ts';

export const RANGES = {
  '1h': { bucket: 'minute', stepMs: 60_000, points: 60, cacheMs: 1000 },
  '24h': { bucket: 'hour', stepMs: 3_600_000, points: 24, cacheMs: 10_000 },
  '7d': { bucket: 'hour', stepMs: 3_600_000, points: 168, cacheMs: 30_000 },
  '30d': { bucket: 'day', stepMs: 86_400_000, points: 30, cacheMs: 60_000 },
} as const satisfies Record<string, { bucket: UsageDimension; stepMs: number; points: number; cacheMs: number }>;
export type RangeName = keyof typeof RANGES;

export function isRangeName(v: unknown): v is RangeName {
  return typeof v === 'string' && Object.hasOwn(RANGES, v);
}

/** [since, until) of a range: whole buckets, the current (partial) one last. */
export function rangeBounds(range: RangeName, now: number): { since: number; until: number } {
  const { stepMs, points } = RANGES[range];
  const current = Math.floor(now / stepMs) * stepMs;
  return { since: current - (points - 1) * stepMs, until: current + stepMs };
}

export interface Totals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costNano: number;
  unpricedRequests: number;
}

export interface Series {
  /** Bucket starts, seconds since the epoch (what uPlot takes). */
  t: number[];
  requests: number[];
  errors: number[];
  tokens: number[];
  costNano: number[];
  /** Requests per bucket for each provider. */
  byProvider: Record<string, number[]>;
}

export interface Breakdown extends Totals {
  name: string;
  avgLatencyMs: number;
}

export interface ProviderStats extends Breakdown {
  latency: { p50: number | null; p95: number | null };
  ttfb: { p50: number | null; p95: number | null };
}

export interface BudgetRow {
  id: string;
  name: string;
  fraction: number;
  costNano: number | null;
  budgetNano: number | null;
  tokens: number | null;
  budgetTokens: number | null;
  period: string;
  resetsAt: number | null;
}

export interface Overview {
  range: RangeName;
  since: number;
  until: number;
  generatedAt: number;
  /** How long the store took for this overview (ms). */
  queryMs: number;
  /** Quantiles are estimates from the hourly rollup's histograms (ranges longer than an hour). */
  estimated: boolean;
  totals: Totals;
  series: Series;
  keys: Breakdown[];
  models: Breakdown[];
  providers: ProviderStats[];
  budgets: BudgetRow[];
}

const TOP = 10;

function totalsOf(groups: readonly UsageGroup[]): Totals {
  const t: Totals = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costNano: 0, unpricedRequests: 0 };
  for (const g of groups) {
    t.requests += g.requests;
    t.errors += g.errors;
    t.inputTokens += g.inputTokens;
    t.outputTokens += g.outputTokens;
    t.costNano += g.costNano;
    t.unpricedRequests += g.unpricedRequests;
  }
  return t;
}

function breakdown(groups: readonly UsageGroup[], dim: UsageDimension, names?: Map<string, string>): Breakdown[] {
  return groups.map((g) => {
    const value = g.group[dim] ?? '';
    return { ...totalsOf([g]), name: names?.get(value) ?? (value || '(none)'), avgLatencyMs: g.avgLatencyMs };
  });
}

function series(groups: readonly UsageGroup[], range: RangeName, since: number): Series {
  const { bucket, stepMs, points } = RANGES[range];
  const zeros = () => new Array<number>(points).fill(0);
  const s: Series = {
    t: Array.from({ length: points }, (_, i) => (since + i * stepMs) / 1000),
    requests: zeros(),
    errors: zeros(),
    tokens: zeros(),
    costNano: zeros(),
    byProvider: {},
  };
  for (const g of groups) {
    // The store names buckets as UTC ISO text (2026-01-15, 2026-01-15T10:00Z), which Date.parse reads.
    const i = Math.round((Date.parse(g.group[bucket] ?? '') - since) / stepMs);
    if (!(i >= 0 && i < points)) continue;
    s.requests[i]! += g.requests;
    s.errors[i]! += g.errors;
    s.tokens[i]! += g.inputTokens + g.outputTokens;
    s.costNano[i]! += g.costNano;
    const provider = g.group.provider || '(none)';
    (s.byProvider[provider] ??= zeros())[i]! += g.requests;
  }
  return s;
}

function quantile(groups: readonly QuantileGroup[], provider: string, q: string): number | null {
  const v = groups.find((g) => g.group === provider)?.values[q];
  return v === undefined ? null : Math.round(v);
}

/** `rowsOnly`: read every range from the rows, as before the rollup (the benchmark's comparison). */
export async function computeOverview(
  store: Store,
  range: RangeName,
  now = Date.now(),
  options: { rowsOnly?: boolean } = {},
): Promise<Overview> {
  const started = performance.now();
  const { since, until } = rangeBounds(range, now);
  const f = { since, until };
  const estimated = RANGES[range].bucket !== 'minute' && !options.rowsOnly;
  const usage = (q: UsageQuery) => (estimated ? store.hourlyUsage(q) : store.usage(q));
  const quantiles = (q: QuantileQuery) => (estimated ? store.hourlyQuantiles(q) : store.quantiles(q));
  const [bySeries, byKey, byModel, byProvider, latency, ttfb, keys] = await Promise.all([
    usage({ ...f, by: [RANGES[range].bucket, 'provider'] }),
    usage({ ...f, by: ['key'], limit: 200 }),
    usage({ ...f, by: ['model'], limit: 200 }),
    usage({ ...f, by: ['provider'], limit: 200 }),
    quantiles({ ...f, metric: 'latency', by: 'provider', quantiles: [0.5, 0.95] }),
    quantiles({ ...f, metric: 'ttfb', by: 'provider', quantiles: [0.5, 0.95] }),
    listKeys(store, { includeRevoked: true }),
  ]);
  const active = keys.filter((k) => k.revokedAt === null);
  const budgets = await budgetStatus(store, active, now);
  const names = new Map([...keys.map((k) => [k.id, k.name] as [string, string]), ['admin', 'admin (AUTH_TOKEN)']]);
  const byCost = (a: Breakdown, b: Breakdown) => b.costNano - a.costNano || b.requests - a.requests;
  const keyById = new Map(active.map((k) => [k.id, k]));
  return {
    range,
    since,
    until,
    generatedAt: now,
    queryMs: Math.round(performance.now() - started),
    estimated,
    totals: totalsOf(byProvider),
    series: series(bySeries, range, since),
    keys: breakdown(byKey, 'key', names).sort(byCost).slice(0, TOP),
    models: breakdown(byModel, 'model').sort(byCost).slice(0, TOP),
    providers: breakdown(byProvider, 'provider').map((p) => {
      const name = p.name === '(none)' ? '' : p.name;
      return {
        ...p,
        latency: { p50: quantile(latency, name, '0.5'), p95: quantile(latency, name, '0.95') },
        ttfb: { p50: quantile(ttfb, name, '0.5'), p95: quantile(ttfb, name, '0.95') },
      };
    }),
    budgets: budgets
      .sort((a, b) => b.fraction - a.fraction)
      .slice(0, TOP)
      .map((b) => {
        const k = keyById.get(b.keyId)!;
        return {
          id: k.id,
          name: k.name,
          fraction: Math.round(b.fraction * 10_000) / 10_000,
          costNano: b.costNano,
          budgetNano: k.budgetNano,
          tokens: b.tokens,
          budgetTokens: k.budgetTokens,
          period: k.budgetPeriod,
          resetsAt: b.resetsAt,
        };
      }),
  };
}

/** One computation per range at a time, reused while it is fresh. */
export class OverviewCache {
  private readonly entries = new Map<RangeName, { at: number; value: Promise<Overview> }>();

  get(store: Store, range: RangeName, now = Date.now()): Promise<Overview> {
    const hit = this.entries.get(range);
    if (hit && now - hit.at < RANGES[range].cacheMs) return hit.value;
    const value = computeOverview(store, range, now);
    this.entries.set(range, { at: now, value });
    // A failure is not kept: the next request asks the store again.
    value.catch(() => this.entries.delete(range));
    return value;
  }
}
