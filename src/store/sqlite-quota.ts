// Limit counters and leases in SQLite (the scheme: src/quota/grant.ts). Each operation is one
// write transaction; BEGIN IMMEDIATE serialises grants of all processes sharing the file.
import {
  computeGrant,
  isPerMinute,
  MINUTE_MS,
  type CounterRef,
  type LeaseGrant,
  type LeaseRequest,
} from '../quota/grant.ts';
import type { SqliteDb } from './sqlite-db.ts';
import type { QuotaFlush } from './types.ts';

export class SqliteQuota {
  constructor(private readonly db: SqliteDb) {}

  acquireLease(r: LeaseRequest): Promise<LeaseGrant> {
    return this.acquireLeases([r]).then((g) => g[0]!);
  }

  /** Several grants in one write transaction (one commit for a batch of counters). */
  acquireLeases(requests: readonly LeaseRequest[]): Promise<LeaseGrant[]> {
    return this.db.call('taking limit leases', () => this.db.transaction(() => requests.map((r) => this.grant(r))));
  }

  private grant(r: LeaseRequest): LeaseGrant {
    const { keyId, metric, window } = r.ref;
    const used = Number(
      this.db.get(
        `INSERT INTO quota_counters (key_id, metric, window_start, used) VALUES (?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET used = used + excluded.used RETURNING used`,
        [keyId, metric, window, r.pending],
      )!.used,
    );
    const previousUsed = isPerMinute(metric)
      ? Number(
          this.db.get('SELECT used FROM quota_counters WHERE key_id = ? AND metric = ? AND window_start = ?', [
            keyId,
            metric,
            window - MINUTE_MS,
          ])?.used ?? 0,
        )
      : 0;
    const o = this.db.get(
      `SELECT COALESCE(SUM(amount), 0) AS others, COUNT(*) AS holders FROM quota_leases
       WHERE key_id = ? AND metric = ? AND window_start = ? AND holder <> ? AND expires_at > ? AND amount > 0`,
      [keyId, metric, window, r.holder, r.now],
    )!;
    const state = { used, previousUsed, others: Number(o.others), otherHolders: Number(o.holders) };
    const grant = computeGrant(metric, state, r.limit, window, r.now);
    this.db.run(
      `INSERT INTO quota_leases (key_id, metric, window_start, holder, amount, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET amount = excluded.amount, expires_at = excluded.expires_at`,
      [keyId, metric, window, r.holder, grant, r.now + r.leaseMs],
    );
    return { ...state, grant };
  }

  flushQuota(
    holder: string,
    flushes: readonly QuotaFlush[],
    now: number,
    leaseMs: number,
    renew = true,
  ): Promise<void> {
    return this.db.call('flushing limit counters', () =>
      this.db.transaction(() => {
        for (const { ref, delta } of flushes) {
          if (delta === 0) continue;
          this.db.run(
            `INSERT INTO quota_counters (key_id, metric, window_start, used) VALUES (?, ?, ?, ?)
             ON CONFLICT DO UPDATE SET used = used + excluded.used`,
            [ref.keyId, ref.metric, ref.window, delta],
          );
          this.db.run(
            `UPDATE quota_leases SET amount = MAX(amount - ?, 0)
             WHERE key_id = ? AND metric = ? AND window_start = ? AND holder = ?`,
            [delta, ref.keyId, ref.metric, ref.window, holder],
          );
        }
        if (renew)
          this.db.run('UPDATE quota_leases SET expires_at = ? WHERE holder = ? AND expires_at > ?', [
            now + leaseMs,
            holder,
            now,
          ]);
      }),
    );
  }

  releaseLeases(holder: string, refs: readonly CounterRef[]): Promise<void> {
    return this.db.call('releasing limit leases', () =>
      this.db.transaction(() => {
        for (const ref of refs)
          this.db.run('DELETE FROM quota_leases WHERE key_id = ? AND metric = ? AND window_start = ? AND holder = ?', [
            ref.keyId,
            ref.metric,
            ref.window,
            holder,
          ]);
      }),
    );
  }

  counters(refs: readonly CounterRef[]): Promise<number[]> {
    return this.db.call('reading limit counters', () =>
      refs.map((ref) =>
        Number(
          this.db.get('SELECT used FROM quota_counters WHERE key_id = ? AND metric = ? AND window_start = ?', [
            ref.keyId,
            ref.metric,
            ref.window,
          ])?.used ?? 0,
        ),
      ),
    );
  }

  pruneQuota(now: number, minuteBefore: number, periodBefore: number): Promise<void> {
    return this.db.call('pruning limit counters', () =>
      this.db.transaction(() => {
        this.db.run('DELETE FROM quota_leases WHERE expires_at <= ?', [now]);
        this.db.run("DELETE FROM quota_counters WHERE metric IN ('rpm', 'tpm') AND window_start < ?", [minuteBefore]);
        this.db.run(
          "DELETE FROM quota_counters WHERE metric IN ('budget', 'token_budget') AND window_start < ? AND window_start > 0",
          [periodBefore],
        );
      }),
    );
  }
}
