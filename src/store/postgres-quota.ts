// Limit counters and leases in PostgreSQL (the scheme: src/quota/grant.ts). A grant locks its
// counter row for the transaction (the upsert), so grants of one counter are serialised across
// every replica; grants and flushes lock rows in one order, so they cannot deadlock each other.
// A batch of counters is a few set-based statements (arrays through unnest), not a few round
// trips per counter: one replica serving thousands of keys flushes and renews them every second.
import type pg from 'pg';
import {
  computeGrant,
  isPerMinute,
  MINUTE_MS,
  type CounterRef,
  type LeaseGrant,
  type LeaseRequest,
} from '../quota/grant.ts';
import type { PgDb } from './pg-db.ts';
import type { QuotaFlush } from './types.ts';

export class PostgresQuota {
  constructor(private readonly db: PgDb) {}

  acquireLease(r: LeaseRequest): Promise<LeaseGrant> {
    return this.acquireLeases([r]).then((g) => g[0]!);
  }

  /**
   * Several grants (of distinct counters) in one transaction of four statements. Counter rows are
   * locked in one order for every holder, so two batches cannot deadlock; the grants come back in
   * the requests' order.
   */
  acquireLeases(requests: readonly LeaseRequest[]): Promise<LeaseGrant[]> {
    if (requests.length === 0) return Promise.resolve([]);
    const sorted = [...requests].sort((a, b) => compareRefs(a.ref, b.ref));
    const refs = columns(sorted.map((r) => r.ref));
    return this.db.call('taking limit leases', () =>
      this.db.transaction(async (c) => {
        // Commits what each holder used and locks the counter rows until COMMIT.
        const used = byRef(
          await c.query(
            `INSERT INTO quota_counters (key_id, metric, window_start, used)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
             ON CONFLICT (key_id, metric, window_start) DO UPDATE SET used = quota_counters.used + EXCLUDED.used
             RETURNING key_id, metric, window_start, used`,
            [...refs, sorted.map((r) => r.pending)],
          ),
        );
        const minutes = sorted.filter((r) => isPerMinute(r.ref.metric)).map((r) => r.ref);
        const previous = byRef(
          await c.query(
            `SELECT q.key_id, q.metric, q.window_start + ${MINUTE_MS} AS window_start, q.used FROM quota_counters q
             JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS r (key_id, metric, window_start)
             ON q.key_id = r.key_id AND q.metric = r.metric AND q.window_start = r.window_start - ${MINUTE_MS}`,
            columns(minutes),
          ),
        );
        const others = byRef(
          await c.query(
            `SELECT l.key_id, l.metric, l.window_start, SUM(l.amount) AS used, COUNT(*) AS holders FROM quota_leases l
             JOIN unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[]) AS r (key_id, metric, window_start, holder, now)
             ON l.key_id = r.key_id AND l.metric = r.metric AND l.window_start = r.window_start
             WHERE l.holder <> r.holder AND l.expires_at > r.now AND l.amount > 0
             GROUP BY l.key_id, l.metric, l.window_start`,
            [...refs, sorted.map((r) => r.holder), sorted.map((r) => r.now)],
          ),
        );
        const grants = new Map<LeaseRequest, LeaseGrant>();
        for (const r of sorted) {
          const id = refId(r.ref);
          const o = others.get(id);
          const state = {
            used: Number(used.get(id)?.used ?? r.pending),
            previousUsed: Number(previous.get(id)?.used ?? 0),
            others: Number(o?.used ?? 0),
            otherHolders: Number(o?.holders ?? 0),
          };
          grants.set(r, { ...state, grant: computeGrant(r.ref.metric, state, r.limit, r.ref.window, r.now) });
        }
        await c.query(
          `INSERT INTO quota_leases (key_id, metric, window_start, holder, amount, expires_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[])
           ON CONFLICT (key_id, metric, window_start, holder)
           DO UPDATE SET amount = EXCLUDED.amount, expires_at = EXCLUDED.expires_at`,
          [
            ...refs,
            sorted.map((r) => r.holder),
            sorted.map((r) => grants.get(r)!.grant),
            sorted.map((r) => r.now + r.leaseMs),
          ],
        );
        return requests.map((r) => grants.get(r)!);
      }),
    );
  }

  flushQuota(
    holder: string,
    flushes: readonly QuotaFlush[],
    now: number,
    leaseMs: number,
    renew = true,
  ): Promise<void> {
    // One lock order for every holder (key, metric, window), so concurrent flushes cannot deadlock.
    const ordered = flushes.filter((f) => f.delta !== 0).sort((a, b) => compareRefs(a.ref, b.ref));
    const refs = columns(ordered.map((f) => f.ref));
    const deltas = ordered.map((f) => f.delta);
    return this.db.call('flushing limit counters', () =>
      this.db.transaction(async (c) => {
        if (ordered.length > 0) {
          await c.query(
            `INSERT INTO quota_counters (key_id, metric, window_start, used)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
             ON CONFLICT (key_id, metric, window_start) DO UPDATE SET used = quota_counters.used + EXCLUDED.used`,
            [...refs, deltas],
          );
          await c.query(
            `UPDATE quota_leases l SET amount = GREATEST(l.amount - r.delta, 0)
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS r (key_id, metric, window_start, delta)
             WHERE l.key_id = r.key_id AND l.metric = r.metric AND l.window_start = r.window_start AND l.holder = $5`,
            [...refs, deltas, holder],
          );
        }
        if (renew)
          await c.query('UPDATE quota_leases SET expires_at = $1 WHERE holder = $2 AND expires_at > $3', [
            now + leaseMs,
            holder,
            now,
          ]);
      }),
    );
  }

  releaseLeases(holder: string, refs: readonly CounterRef[]): Promise<void> {
    if (refs.length === 0) return Promise.resolve();
    // One statement for the whole list: a flush may give back thousands of idle leases at once.
    return this.db.call('releasing limit leases', async () => {
      await this.db.pool.query(
        `DELETE FROM quota_leases WHERE holder = $1 AND (key_id, metric, window_start) IN
         (SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[]))`,
        [holder, ...columns(refs)],
      );
    });
  }

  counters(refs: readonly CounterRef[]): Promise<number[]> {
    return this.db.call('reading limit counters', async () => {
      if (refs.length === 0) return [];
      const rows = await this.db.rows(
        `SELECT c.used FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS r (key_id, metric, window_start, n)
         LEFT JOIN quota_counters c USING (key_id, metric, window_start) ORDER BY r.n`,
        [refs.map((r) => r.keyId), refs.map((r) => r.metric), refs.map((r) => r.window)],
      );
      return rows.map((r) => Number(r.used ?? 0));
    });
  }

  pruneQuota(now: number, minuteBefore: number, periodBefore: number): Promise<void> {
    return this.db.call('pruning limit counters', async () => {
      await this.db.pool.query('DELETE FROM quota_leases WHERE expires_at <= $1', [now]);
      await this.db.pool.query("DELETE FROM quota_counters WHERE metric IN ('rpm', 'tpm') AND window_start < $1", [
        minuteBefore,
      ]);
      await this.db.pool.query(
        "DELETE FROM quota_counters WHERE metric IN ('budget', 'token_budget') AND window_start < $1 AND window_start > 0",
        [periodBefore],
      );
    });
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

/** Counters as the three arrays unnest takes. */
function columns(refs: readonly CounterRef[]): [string[], string[], number[]] {
  return [refs.map((r) => r.keyId), refs.map((r) => r.metric), refs.map((r) => r.window)];
}

const refId = (r: { keyId: string; metric: string; window: number }) => `${r.keyId}\u0000${r.metric}\u0000${r.window}`;

/** Rows that carry (key_id, metric, window_start), by counter. */
function byRef(result: pg.QueryResult): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const row of result.rows as Record<string, unknown>[])
    out.set(refId({ keyId: String(row.key_id), metric: String(row.metric), window: Number(row.window_start) }), row);
  return out;
}
