// What every store back end must do, run against the real SQLite (node:sqlite) and the real
// PostgreSQL: migrations, keys and their version counter, ledger rows and bounded queries,
// limit leases. One suite, so the two back ends cannot drift apart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKey, revokeKey, rotateKey, updateKey } from '../../src/keys/service.ts';
import type { UsageDimension } from '../../src/ledger/query.ts';
import { BUCKET_BOUNDS, bucketOf } from '../../src/ledger/rollup.ts';
import type { LedgerRow } from '../../src/ledger/row.ts';
import { computeGrant, MINUTE_MS } from '../../src/quota/grant.ts';
import { SCHEMA_VERSION } from '../../src/store/schema.ts';
import { isStoreError, type Store } from '../../src/store/types.ts';

export interface StoreHarness {
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** Opens the same database again (a second process, a restart). */
  reopen(): Promise<Store>;
  /** Runs SQL on the database behind the store's back (to stage a newer schema). */
  exec(sql: string): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const HOUR = 3_600_000;

export function row(over: Partial<LedgerRow> = {}): LedgerRow {
  return {
    ts: T0,
    requestId: 'req-1',
    keyId: 'key_a',
    endpoint: '/v1/chat/completions',
    route: 'smart',
    provider: 'openai',
    model: 'gpt-4o',
    stream: false,
    status: 200,
    inputTokens: 100,
    outputTokens: 20,
    cachedTokens: 0,
    costNano: 1000,
    latencyMs: 12.5,
    ttfbMs: 10,
    error: null,
    ...over,
  };
}

export function storeContract(name: string, harness: StoreHarness): void {
  describe(`${name} store`, () => {
    let store: Store;
    before(async () => {
      store = await harness.open();
    });
    after(async () => {
      await store?.close();
    });

    it('migrates once: reopening keeps the data and the schema version', async () => {
      await createKey(store, { name: 'migrated' });
      const again = await harness.reopen();
      try {
        assert.equal((await again.listKeys()).length, 1);
      } finally {
        await again.close();
      }
    });

    it('refuses a database whose schema is newer than this binary', async () => {
      await harness.exec(`UPDATE store_meta SET value = ${SCHEMA_VERSION + 1} WHERE name = 'schema'`);
      try {
        await assert.rejects(
          harness.reopen(),
          (e: Error) => isStoreError(e) && /newer than this ai-proxy/.test(e.message),
        );
      } finally {
        await harness.exec(`UPDATE store_meta SET value = ${SCHEMA_VERSION} WHERE name = 'schema'`);
      }
    });

    it('bumps the key version on every change and returns only newer rows', async () => {
      const v0 = await store.keysVersion();
      const { key: a } = await createKey(store, { name: 'alice', models: ['gpt-4o*'], rpm: 60 });
      const { key: b } = await createKey(store, { name: 'bob' });
      assert.equal(await store.keysVersion(), v0 + 2);
      const since = await store.keysChangedSince(v0);
      assert.deepEqual(
        since.keys.map((k) => k.name),
        ['alice', 'bob'],
      );
      assert.equal(since.version, v0 + 2);
      const changed = await updateKey(store, 'alice', { tpm: 1000, metadata: { team: 'ml' } });
      assert.equal(changed.version, v0 + 3);
      const later = await store.keysChangedSince(v0 + 2);
      assert.deepEqual(
        later.keys.map((k) => [k.name, k.tpm, k.rpm, k.metadata.team, k.models[0]]),
        [['alice', 1000, 60, 'ml', 'gpt-4o*']],
      );
      assert.equal((await store.findKey({ id: b.id }))?.name, 'bob');
      assert.equal((await store.findKey({ hash: a.hash }))?.id, a.id);
    });

    it('pages through changed keys, oldest change first', async () => {
      const v0 = await store.keysVersion();
      for (const name of ['p1', 'p2', 'p3']) await createKey(store, { name });
      const first = await store.keysChangedSince(v0, 2);
      assert.deepEqual([first.keys.map((k) => k.name), first.more, first.version], [['p1', 'p2'], true, v0 + 2]);
      const rest = await store.keysChangedSince(first.version, 2);
      assert.deepEqual([rest.keys.map((k) => k.name), rest.more, rest.version], [['p3'], false, v0 + 3]);
      for (const name of ['p1', 'p2', 'p3']) await revokeKey(store, name);
    });

    it('keeps names unique among active keys, free again once revoked', async () => {
      await assert.rejects(createKey(store, { name: 'bob' }), /exists already/);
      const revoked = await revokeKey(store, 'bob');
      assert.notEqual(revoked.revokedAt, null);
      const { key: newBob } = await createKey(store, { name: 'bob' });
      assert.notEqual(newBob.id, revoked.id);
      assert.equal((await store.findKey({ name: 'bob' }))?.id, newBob.id, 'the active key wins a name lookup');
      // The store itself refuses a second active key of one name (two creations racing).
      const { version: _, ...copy } = newBob;
      await assert.rejects(store.insertKey({ ...copy, id: 'key_other', hash: 'f'.repeat(64) }), isStoreError);
    });

    it('rotates a key: same id and limits, a new hash', async () => {
      const before = await store.findKey({ name: 'alice' });
      const { key, secret } = await rotateKey(store, 'alice');
      assert.equal(key.id, before!.id);
      assert.notEqual(key.hash, before!.hash);
      assert.match(secret, /^aip_[0-9A-Za-z]{43}$/);
      assert.equal(key.tpm, 1000);
    });

    it('writes ledger rows and sums them by key, model, provider and day', async () => {
      await store.insertRows([
        row({ requestId: 'r1' }),
        row({ requestId: 'r2', ts: T0 + HOUR, cachedTokens: 40, costNano: 2000 }),
        row({ requestId: 'r3', keyId: null, model: 'claude', provider: 'anthropic', costNano: null }),
        row({ requestId: 'r4', ts: T0 + 25 * HOUR, status: 429, inputTokens: 0, outputTokens: 0, costNano: 0 }),
        row({
          requestId: 'r5',
          keyId: 'key_b',
          stream: true,
          ttfbMs: null,
          error: 'upstream failed',
          status: 502,
          attempts: [
            {
              provider: 'openai',
              model: 'gpt-4o',
              status: 504,
              error: 'upstream openai did not answer in time',
              ms: 30000,
            },
            { provider: 'anthropic', model: 'claude', status: 502, error: 'upstream failed', ms: 12 },
          ],
        }),
      ]);
      const range = { since: T0 - HOUR, until: T0 + 48 * HOUR };
      const byKey = await store.usage({ ...range, by: ['key'] });
      const a = byKey.find((g) => g.group.key === 'key_a')!;
      assert.deepEqual(
        [a.requests, a.errors, a.inputTokens, a.outputTokens, a.cachedTokens, a.costNano],
        [3, 1, 200, 40, 40, 3000],
      );
      const admin = byKey.find((g) => g.group.key === 'admin')!;
      assert.deepEqual([admin.requests, admin.costNano, admin.unpricedRequests], [1, 0, 1]);
      const byDay = await store.usage({ ...range, by: ['day'] });
      assert.deepEqual(byDay.map((g) => [g.group.day, g.requests]).sort(), [
        ['2026-01-15', 4],
        ['2026-01-16', 1],
      ]);
      // Per-minute points for a chart of the last hour.
      const byMinute = await store.usage({ since: T0, until: T0 + 2 * HOUR, by: ['minute'] });
      assert.deepEqual(byMinute.map((g) => [g.group.minute, g.requests]).sort(), [
        ['2026-01-15T10:00Z', 3],
        ['2026-01-15T11:00Z', 1],
      ]);
      const anthropic = await store.usage({ ...range, by: ['provider', 'model'], providers: ['anthropic'] });
      assert.deepEqual(
        anthropic.map((g) => [g.group.provider, g.group.model, g.requests]),
        [['anthropic', 'claude', 1]],
      );
      const adminOnly = await store.usage({ ...range, by: [], keyIds: ['admin'] });
      assert.equal(adminOnly[0]!.requests, 1);
      const errors = await store.usage({ ...range, by: ['status'], outcome: 'error' });
      assert.deepEqual(errors.map((g) => g.group.status).sort(), ['429', '502']);
      await assert.rejects(store.usage({ since: 2, until: 1, by: [] }), RangeError);
    });

    it('pages through requests newest first with a cursor, each row once', async () => {
      const range = { since: T0 - HOUR, until: T0 + 48 * HOUR };
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.requests({ ...range, limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...page.rows.map((r) => r.requestId));
        cursor = page.next ?? undefined;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(seen.length, 5);
      assert.equal(new Set(seen).size, 5);
      assert.equal(seen[0], 'r4', 'newest first');
      const failed = await store.requests({ ...range, outcome: 'error', keyIds: ['key_b'] });
      assert.deepEqual(
        failed.rows.map((r) => [r.requestId, r.stream, r.ttfbMs, r.error]),
        [['r5', true, null, 'upstream failed']],
      );
      // The failed attempts before the answer (retries, fallbacks) come back as written.
      assert.deepEqual(
        failed.rows[0]!.attempts?.map((a) => [a.provider, a.status, a.ms]),
        [
          ['openai', 504, 30000],
          ['anthropic', 502, 12],
        ],
      );
      const ok = await store.requests({ ...range, keyIds: ['admin'] });
      assert.equal(ok.rows[0]!.attempts, null);
    });

    it('computes nearest-rank latency quantiles per provider', async () => {
      // Ten hours before the other rows, deleted again at the end.
      const at = T0 - 10 * HOUR;
      const rows = Array.from({ length: 20 }, (_, i) =>
        row({
          ts: at,
          requestId: `q${i}`,
          provider: i < 10 ? 'fast' : 'slow',
          latencyMs: i < 10 ? i + 1 : (i - 9) * 100,
          ttfbMs: i,
        }),
      );
      await store.insertRows(rows);
      const range = { since: at, until: at + 1 };
      const q = await store.quantiles({ ...range, metric: 'latency', by: 'provider', quantiles: [0.5, 0.95, 1] });
      assert.deepEqual(q, [
        { group: 'fast', count: 10, values: { '0.5': 5, '0.95': 10, '1': 10 } },
        { group: 'slow', count: 10, values: { '0.5': 500, '0.95': 1000, '1': 1000 } },
      ]);
      const all = await store.quantiles({ ...range, metric: 'ttfb', quantiles: [0.5] });
      assert.deepEqual(all, [{ group: '', count: 20, values: { '0.5': 9 } }]);
      await assert.rejects(store.quantiles({ ...range, metric: 'ttfb', quantiles: [0] }), RangeError);
      assert.equal(await store.deleteRowsBefore(at + 1, 100), 20);
    });

    it('sums whole hours from the hourly rollup exactly as usage() sums the rows', async () => {
      const range = { since: T0 - HOUR, until: T0 + 48 * HOUR };
      const pick = (g: {
        requests: number;
        errors: number;
        inputTokens: number;
        outputTokens: number;
        cachedTokens: number;
        costNano: number;
        unpricedRequests: number;
        maxLatencyMs: number;
      }) => [
        g.requests,
        g.errors,
        g.inputTokens,
        g.outputTokens,
        g.cachedTokens,
        g.costNano,
        g.unpricedRequests,
        g.maxLatencyMs,
      ];
      const dimsList: UsageDimension[][] = [
        [],
        ['key'],
        ['model', 'provider'],
        ['day'],
        ['hour', 'route'],
        ['key', 'day'],
      ];
      for (const by of dimsList) {
        const raw = await store.usage({ ...range, by });
        const rolled = await store.hourlyUsage({ ...range, by });
        const key = (g: { group: Record<string, string | undefined> }) => JSON.stringify(g.group);
        assert.deepEqual(
          new Map(rolled.map((g) => [key(g), pick(g)])),
          new Map(raw.map((g) => [key(g), pick(g)])),
          `by ${by.join(',')}`,
        );
      }
      const admin = await store.hourlyUsage({ ...range, by: ['key'], keyIds: ['admin'] });
      assert.deepEqual(
        admin.map((g) => [g.group.key, g.requests]),
        [['admin', 1]],
      );
      await assert.rejects(store.hourlyUsage({ since: T0 + 1, until: T0 + HOUR, by: [] }), RangeError);
      await assert.rejects(store.hourlyUsage({ ...range, by: ['status'] }), RangeError);
      // Latency quantiles from the histograms: within the bucket of the exact value.
      const [exact] = await store.quantiles({ ...range, metric: 'latency', quantiles: [0.5] });
      const [estimate] = await store.hourlyQuantiles({ ...range, metric: 'latency', quantiles: [0.5] });
      assert.equal(estimate!.count, exact!.count);
      const v = exact!.values['0.5']!;
      const b = bucketOf(v);
      assert.ok(
        estimate!.values['0.5']! >= (b === 0 ? 0 : BUCKET_BOUNDS[b - 1]!) &&
          estimate!.values['0.5']! <= BUCKET_BOUNDS[b]!,
        `${estimate!.values['0.5']} is in the bucket of ${v}`,
      );
    });

    it('fills the rollup from the rows already there when it migrates to it', async () => {
      await harness.exec('DROP TABLE ledger_hourly');
      await harness.exec('DROP TABLE ledger_hourly_latency');
      await harness.exec("UPDATE store_meta SET value = 2 WHERE name = 'schema'");
      const again = await harness.reopen();
      try {
        const range = { since: T0 - HOUR, until: T0 + 48 * HOUR, by: ['key', 'hour'] as UsageDimension[] };
        const sums = (groups: { group: object; requests: number; costNano: number }[]) =>
          new Map(groups.map((g) => [JSON.stringify(g.group), [g.requests, g.costNano]]));
        assert.deepEqual(sums(await again.hourlyUsage(range)), sums(await again.usage(range)));
      } finally {
        await again.close();
      }
    });

    it('deletes rows older than a time, in chunks', async () => {
      assert.equal(await store.deleteRowsBefore(T0 + 2 * HOUR, 2), 2);
      assert.equal(await store.deleteRowsBefore(T0 + 2 * HOUR, 2), 2);
      assert.equal(await store.deleteRowsBefore(T0 + 2 * HOUR, 2), 0);
      const left = await store.requests({ since: T0 - 48 * HOUR, until: T0 + 48 * HOUR });
      assert.deepEqual(
        left.rows.map((r) => r.requestId),
        ['r4'],
      );
      // The rollup's hours before the cut went with their rows; the later ones stay.
      const rolled = await store.hourlyUsage({ since: T0 - HOUR, until: T0 + 48 * HOUR, by: ['hour'] });
      assert.deepEqual(
        rolled.map((g) => [g.group.hour, g.requests]),
        [['2026-01-16T11:00Z', 1]],
      );
    });

    it('grants leases out of what nobody used or leased, and commits pending usage first', async () => {
      const ref = { keyId: 'key_q', metric: 'budget' as const, window: 0 };
      const now = T0;
      const a1 = await store.acquireLease({ holder: 'A', ref, limit: 1000, pending: 0, now, leaseMs: 10_000 });
      assert.deepEqual(a1, { used: 0, previousUsed: 0, others: 0, otherHolders: 0, grant: 500 });
      const b1 = await store.acquireLease({ holder: 'B', ref, limit: 1000, pending: 0, now, leaseMs: 10_000 });
      assert.deepEqual(b1, { used: 0, previousUsed: 0, others: 500, otherHolders: 1, grant: 125 });
      // A used 300 of its 500: flushing commits it and shrinks A's lease to 200.
      await store.flushQuota('A', [{ ref, delta: 300 }], now, 10_000);
      const b2 = await store.acquireLease({ holder: 'B', ref, limit: 1000, pending: 125, now, leaseMs: 10_000 });
      assert.deepEqual([b2.used, b2.others, b2.grant], [425, 200, computeGrant('budget', { ...b2 }, 1000, 0, now)]);
      assert.deepEqual(await store.counters([ref, { ...ref, keyId: 'nobody' }]), [425, 0]);
      // A lease not renewed in time no longer holds anything back.
      const c = await store.acquireLease({
        holder: 'C',
        ref,
        limit: 1000,
        pending: 0,
        now: now + 20_000,
        leaseMs: 10_000,
      });
      assert.equal(c.others, 0);
      await store.releaseLeases('C', [ref]);
      const d = await store.acquireLease({
        holder: 'D',
        ref,
        limit: 1000,
        pending: 0,
        now: now + 20_000,
        leaseMs: 10_000,
      });
      assert.equal(d.others, 0, 'a released lease holds nothing');
    });

    it('takes several leases in one call, each as a single call would, and gives them back in one', async () => {
      const now = T0;
      const refs = ['key_b1', 'key_b0', 'key_b2'].map((keyId) => ({ keyId, metric: 'budget' as const, window: 0 }));
      const grants = await store.acquireLeases(
        refs.map((ref, i) => ({ holder: 'A', ref, limit: 1000 * (i + 1), pending: 10, now, leaseMs: 10_000 })),
      );
      assert.deepEqual(
        grants.map((g) => [g.used, g.grant]),
        [
          [10, 495],
          [10, 995],
          [10, 1495],
        ],
        'in the order asked, each with its own limit and pending use',
      );
      const b = await store.acquireLeases(
        refs.map((ref) => ({ holder: 'B', ref, limit: 1000, pending: 0, now, leaseMs: 10_000 })),
      );
      assert.deepEqual(
        b.map((g) => g.others),
        [495, 995, 1495],
      );
      await store.releaseLeases('A', refs);
      const c = await store.acquireLeases(
        refs.map((ref) => ({ holder: 'C', ref, limit: 1000, pending: 0, now, leaseMs: 10_000 })),
      );
      assert.deepEqual(
        c.map((g) => g.others),
        b.map((g) => g.grant),
        "A's leases are gone, B's remain",
      );
    });

    it('renews leases with a flush unless told not yet (a large flush in parts)', async () => {
      const ref = { keyId: 'key_renew', metric: 'budget' as const, window: 0 };
      const lease = (holder: string, now: number) =>
        store.acquireLease({ holder, ref, limit: 1000, pending: 0, now, leaseMs: 10_000 });
      assert.equal((await lease('A', T0)).grant, 500);
      await store.flushQuota('A', [{ ref, delta: 10 }], T0 + 5000, 10_000, false);
      assert.equal((await lease('B', T0 + 12_000)).others, 0, 'not renewed: expired after 10 s');
      await store.flushQuota('B', [{ ref, delta: 10 }], T0 + 15_000, 10_000);
      assert.ok((await lease('C', T0 + 24_000)).others > 0, 'renewed: still held 9 s after the flush');
    });

    it('weighs the previous minute in per-minute limits and prunes old windows', async () => {
      const window = T0 - (T0 % MINUTE_MS);
      const prev = { keyId: 'key_m', metric: 'rpm' as const, window: window - MINUTE_MS };
      await store.flushQuota('A', [{ ref: prev, delta: 60 }], T0, 10_000);
      const ref = { ...prev, window };
      // 15 s into the minute, 3/4 of the previous minute's 60 still count: 100 - 45 = 55 left.
      const g = await store.acquireLease({
        holder: 'A',
        ref,
        limit: 100,
        pending: 0,
        now: window + 15_000,
        leaseMs: 10_000,
      });
      assert.deepEqual([g.previousUsed, g.grant], [60, 28]);
      await store.pruneQuota(window + 10 * MINUTE_MS, window, 0);
      assert.deepEqual(await store.counters([prev, ref]), [0, 0]);
    });
  });
}
