// Limit counters and leases in PostgreSQL (the scheme: src/quota/grant.ts). A grant locks its
// counter row for the transaction (the upsert), so grants of one counter are serialised across
// every replica; flushes lock rows in one order, so they cannot deadlock each other.
import { computeGrant, isPerMinute, MINUTE_MS, type CounterRef, type LeaseRequest } from '../quota/grant.ts';
import type { PgDb } from './pg-db.ts';
import type { QuotaFlush } from './types.ts';

export class PostgresQuota {
  constructor(private readonly db: PgDb) {}

  acquireLease(r: LeaseRequest) {
    const { keyId, metric, window } = r.ref;
    return this.db.call('taking a limit lease', () =>
      this.db.transaction(async (c) => {
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
    return this.db.call('releasing limit leases', async () => {
      for (const ref of refs)
        await this.db.pool.query(
          'DELETE FROM quota_leases WHERE key_id = $1 AND metric = $2 AND window_start = $3 AND holder = $4',
          [ref.keyId, ref.metric, ref.window, holder],
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
