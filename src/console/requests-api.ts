// The requests table: ledger rows newest first, filtered and paged by the store's bounded query
// (a time range of at most 30 days here, at most 200 rows a page, one indexed column per
// filter). Ledger rows hold no prompt or answer text, only who, what, how long and how much.
import { ProxyError } from '../http/errors.ts';
import type { LedgerFilter, RequestPage } from '../ledger/query.ts';
import type { Store } from '../store/types.ts';
import { isRangeName, RANGES, rangeBounds } from './overview.ts';

export const MAX_ROWS = 200;
const NAME = /^[\w.:@/*-]{1,200}$/;

function bad(message: string): ProxyError {
  return new ProxyError(400, 'invalid_request_error', message, 'invalid_query');
}

function list(q: URLSearchParams, name: string): string[] | undefined {
  const values = q.getAll(name).filter((v) => v !== '');
  if (values.length === 0) return undefined;
  if (values.length > 20) throw bad(`${name}: at most 20 values`);
  const wrong = values.find((v) => !NAME.test(v));
  if (wrong !== undefined) throw bad(`${name}: "${wrong.slice(0, 60)}" is not a name`);
  return values;
}

/** The filter from the query string: `range=24h` (default) or `since`/`until` (ms), and names. */
export function requestFilter(q: URLSearchParams, now = Date.now()): LedgerFilter {
  const range = q.get('range') ?? '24h';
  if (!isRangeName(range)) throw bad(`range: one of ${Object.keys(RANGES).join(', ')}`);
  let { since, until } = rangeBounds(range, now);
  const s = q.get('since');
  const u = q.get('until');
  if (s || u) {
    since = Number(s);
    until = u ? Number(u) : now + 1;
    if (!Number.isSafeInteger(since) || !Number.isSafeInteger(until) || until <= since)
      throw bad('since and until: times in ms since the epoch, until after since');
    if (until - since > 31 * 86_400_000) throw bad('since and until: at most 31 days apart');
  }
  const outcomeText = q.get('outcome');
  if (outcomeText && outcomeText !== 'error' && outcomeText !== 'ok') throw bad('outcome: error or ok');
  const outcome = outcomeText === 'error' || outcomeText === 'ok' ? outcomeText : undefined;
  const keyIds = list(q, 'key');
  const routes = list(q, 'route');
  const models = list(q, 'model');
  const providers = list(q, 'provider');
  return {
    since,
    until,
    ...(keyIds ? { keyIds } : {}),
    ...(routes ? { routes } : {}),
    ...(models ? { models } : {}),
    ...(providers ? { providers } : {}),
    ...(outcome ? { outcome } : {}),
  };
}

export async function requestsPage(store: Store, q: URLSearchParams, now = Date.now()): Promise<RequestPage> {
  const limit = Number(q.get('limit') ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ROWS) throw bad(`limit: 1 to ${MAX_ROWS}`);
  const cursor = q.get('cursor');
  if (cursor && !/^\d{1,16}:\d{1,16}$/.test(cursor)) throw bad('cursor: the "next" value of the previous page');
  return store.requests({ ...requestFilter(q, now), limit, ...(cursor ? { cursor } : {}) });
}

/**
 * One ledger row by its time and id (`1767225600000-42`, what the table links to). The page
 * query with a cursor just past that row and a one-millisecond range finds it on the ts index.
 */
export async function requestDetail(store: Store, ref: string) {
  const m = /^(\d{1,16})-(\d{1,16})$/.exec(ref);
  if (!m) throw bad('a request is addressed as TIME-ID');
  const ts = Number(m[1]);
  const id = Number(m[2]);
  const page = await store.requests({ since: ts, until: ts + 1, cursor: `${ts}:${id + 1}`, limit: 1 });
  const row = page.rows[0];
  if (!row || row.id !== id) throw new ProxyError(404, 'not_found_error', 'no such request in the ledger', 'not_found');
  return row;
}
