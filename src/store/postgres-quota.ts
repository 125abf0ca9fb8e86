// Limit counters and leases in PostgreSQL (the scheme: src/quota/grant.ts). A grant locks its
// counter row for the transaction (the upsert), so grants of one counter are serialised across
// every replica; flushes lock rows in one order, so they cannot deadlock each other.
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
   * Several grants in one transaction. Counter rows are locked in one order for every holder
   * (as flushes do), so two batches cannot deadlock; the grants come back in the requests' order.
   */
  acquireLeases(requests: readonly LeaseRequest[]): Promise<LeaseGrant[]> {
    const order = requests.map((_, i) => i).sort((a, b) => compareRefs(requests[a]!.ref, requests[b]!.ref));
    return this.db.call('taking limit leases', () =>
      this.db.transaction(async (c) => {
        const grants: LeaseGrant[] = new Array(requests.length);
        for (const i of order) grants[i] = await grant(c, requests[i]!);
        return grants;
      }),
    );
  }

  flushQuota(holder: string, flushes: readonly QuotaFlush[], now: number, leaseMs: number): Promise<void> {
    // One lock order for every holder (key, metric, window), so concurrent flushes cannot deadlock.
    const ordered = flushes.filter((f) => f.delta !== 0).sort((a, b) => compareRefs(a.ref, b.ref));
    return this.db.call('flushing limit counters', () =>
      this.db.transaction(async (c) => {
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
    if (refs.length === 0) return Promise.resolve();
    // One statement for the whole list: a flush may give back thousands of idle leases at once.
    return this.db.call('releasing limit leases', async () => {
      await this.db.pool.query(
        `DELETE FROM quota_leases WHERE holder = $1 AND (key_id, metric, window_start) IN
         (SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[]))`,
        [holder, refs.map((r) => r.keyId), refs.map((r) => r.metric), refs.map((r) => r.window)],
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

/** One grant inside a transaction; the upsert locks the counter row until COMMIT, so grants of one counter are serialised. */
async function grant(c: pg.PoolClient, r: LeaseRequest): Promise<LeaseGrant> {
  const { keyId, metric, window } = r.ref;
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
          await c.query('SELECT used FROM quota_counters WHERE key_id = $1 AND metric = $2 AND window_start = $3', [
            keyId,
            metric,
            window - MINUTE_MS,
          ])
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
  const granted = computeGrant(metric, state, r.limit, window, r.now);
  await c.query(
    `INSERT INTO quota_leases (key_id, metric, window_start, holder, amount, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_id, metric, window_start, holder)
     DO UPDATE SET amount = EXCLUDED.amount, expires_at = EXCLUDED.expires_at`,
    [keyId, metric, window, r.holder, granted, r.now + r.leaseMs],
  );
  return { ...state, grant: granted };
}
