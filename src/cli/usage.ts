// `ai-proxy usage`: the ledger summed by key, model, provider, route, day... over a time range,
// as a table, JSON or CSV. Costs are sums over priced requests; requests to models without a
// price are counted apart (UNPRICED), never as free.
import { ExitError } from '../exit-error.ts';
import { formatCount, formatMoney } from '../keys/limits.ts';
import { listKeys } from '../keys/service.ts';
import { ADMIN_KEY_ID, MAX_RANGE_MS, USAGE_DIMENSIONS, type UsageDimension, type UsageGroup } from '../ledger/query.ts';
import type { Store } from '../store/types.ts';
import { parseCommandLine } from './args.ts';
import { withStore } from './store-access.ts';
import { renderCsv, renderTable } from './table.ts';

export const USAGE_HELP = `Usage: ai-proxy usage [options]

  --since TIME        start: 7d, 24h, 90m ago, or 2026-01-01, 2026-01-01T12:00:00Z (default 30d)
  --until TIME        end (default now)
  --by DIMENSIONS     group by ${USAGE_DIMENSIONS.join(', ')} (comma-separated; default key)
  --key NAME|ID       only this key (repeatable; "admin" is AUTH_TOKEN)
  --model M, --provider P, --route R   only these (repeatable)
  --errors            only failed requests (status >= 400)
  --limit N           at most N groups (default 1000)
  --json | --csv      machine-readable output
  --config-dir DIR

COST sums priced requests; UNPRICED counts requests whose model has no price (see prices: in
provider-config.yaml): their cost is unknown, not zero.`;

const SPEC = {
  values: ['since', 'until', 'by', 'limit', 'config-dir'],
  lists: ['key', 'model', 'provider', 'route'],
  booleans: ['json', 'csv', 'errors', 'help'],
};

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** A point in time: an ISO date or time, or a duration ago (`7d`). */
export function parseTime(text: string, now: number, flag: string): number {
  const rel = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  const at = /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (!Number.isFinite(at))
    throw new ExitError(
      2,
      `usage: ${flag} "${text}" is not a time`,
      'use 7d, 24h, 90m, 2026-01-01 or 2026-01-01T12:00:00Z',
    );
  return at;
}

function parseBy(text: string | undefined): UsageDimension[] {
  if (text === undefined) return ['key'];
  const dims = text.split(',').map((d) => d.trim());
  const bad = dims.find((d) => !(USAGE_DIMENSIONS as readonly string[]).includes(d));
  if (bad !== undefined) throw new ExitError(2, `usage: --by "${bad}" is not one of ${USAGE_DIMENSIONS.join(', ')}`);
  return dims as UsageDimension[];
}

/** Key names as given -> key ids (every key that had the name, revoked ones included). */
async function keyIds(store: Store, refs: string[] | undefined): Promise<string[] | undefined> {
  if (!refs) return undefined;
  const keys = await listKeys(store, { includeRevoked: true });
  return refs.flatMap((ref) => {
    if (ref === ADMIN_KEY_ID || ref.startsWith('key_')) return [ref];
    const ids = keys.filter((k) => k.name === ref).map((k) => k.id);
    if (ids.length === 0) throw new ExitError(1, `usage: no key named "${ref}" (ai-proxy keys list --all)`);
    return ids;
  });
}

interface Report {
  dims: UsageDimension[];
  groups: UsageGroup[];
  names: Map<string, string>;
}

function label(r: Report, g: UsageGroup, d: UsageDimension): string {
  const v = g.group[d] ?? '';
  if (d === 'key') return v === ADMIN_KEY_ID ? 'admin (AUTH_TOKEN)' : (r.names.get(v) ?? v);
  return v === '' ? '-' : v;
}

function printTable(r: Report): void {
  const dimCols = r.dims.map((d) => ({ title: d.toUpperCase() }));
  const numCols = ['REQUESTS', 'ERRORS', 'INPUT', 'OUTPUT', 'CACHED', 'COST', 'UNPRICED', 'AVG MS'].map((title) => ({
    title,
    right: true,
  }));
  const rows = r.groups.map((g) => [
    ...r.dims.map((d) => label(r, g, d)),
    String(g.requests),
    String(g.errors),
    formatCount(g.inputTokens),
    formatCount(g.outputTokens),
    formatCount(g.cachedTokens),
    formatMoney(g.costNano),
    String(g.unpricedRequests),
    String(Math.round(g.avgLatencyMs)),
  ]);
  process.stdout.write(
    `${r.groups.length ? renderTable([...dimCols, ...numCols], rows) : 'no requests in this range'}\n`,
  );
}

function flat(r: Report, g: UsageGroup): Record<string, string | number | null> {
  return {
    ...Object.fromEntries(r.dims.map((d) => [d, g.group[d] ?? ''])),
    ...(r.dims.includes('key') ? { key_name: label(r, g, 'key') } : {}),
    requests: g.requests,
    errors: g.errors,
    input_tokens: g.inputTokens,
    output_tokens: g.outputTokens,
    cached_tokens: g.cachedTokens,
    cost: formatMoney(g.costNano),
    unpriced_requests: g.unpricedRequests,
    avg_latency_ms: g.avgLatencyMs,
    max_latency_ms: g.maxLatencyMs,
    avg_ttfb_ms: g.avgTtfbMs,
  };
}

export async function usageCommand(argv: string[]): Promise<void> {
  const cl = parseCommandLine(argv, SPEC, 'usage');
  if (cl.booleans.has('help')) {
    process.stdout.write(`${USAGE_HELP}\n`);
    return;
  }
  if (cl.booleans.has('json') && cl.booleans.has('csv')) throw new ExitError(2, 'usage: choose --json or --csv');
  const now = Date.now();
  const since = parseTime(cl.values.since ?? '30d', now, '--since');
  const until = cl.values.until ? parseTime(cl.values.until, now, '--until') : now + 1;
  if (until <= since) throw new ExitError(2, 'usage: --until must be after --since');
  if (until - since > MAX_RANGE_MS)
    throw new ExitError(2, `usage: the range spans more than ${MAX_RANGE_MS / 86_400_000} days`);
  const limit = cl.values.limit === undefined ? 1000 : Number(cl.values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new ExitError(2, `usage: --limit "${cl.values.limit}" is not 1-10000`);
  const dims = parseBy(cl.values.by);
  await withStore(cl.values['config-dir'], async (store) => {
    const ids = await keyIds(store, cl.lists.key);
    const groups = await store.usage({
      since,
      until,
      by: dims,
      limit,
      ...(ids ? { keyIds: ids } : {}),
      ...(cl.lists.model ? { models: cl.lists.model } : {}),
      ...(cl.lists.provider ? { providers: cl.lists.provider } : {}),
      ...(cl.lists.route ? { routes: cl.lists.route } : {}),
      ...(cl.booleans.has('errors') ? { outcome: 'error' as const } : {}),
    });
    const names = new Map((await listKeys(store, { includeRevoked: true })).map((k) => [k.id, k.name]));
    const report: Report = { dims, groups, names };
    if (cl.booleans.has('json'))
      process.stdout.write(
        `${JSON.stringify(
          {
            since: new Date(since).toISOString(),
            until: new Date(until).toISOString(),
            groups: groups.map((g) => flat(report, g)),
          },
          null,
          2,
        )}\n`,
      );
    else if (cl.booleans.has('csv')) {
      const rows = groups.map((g) => flat(report, g));
      const header = rows[0] ? Object.keys(rows[0]) : [...dims, 'requests'];
      process.stdout.write(
        `${renderCsv(
          header,
          rows.map((row) => header.map((h) => row[h] ?? null)),
        )}\r\n`,
      );
    } else printTable(report);
  });
}
