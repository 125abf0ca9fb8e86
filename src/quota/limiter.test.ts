// One process's limiter against a real SQLite store.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { periodStart } from '../keys/periods.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { QuotaLimiter, type LimitedKey, type Refusal } from './limiter.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-limiter-'));
const path = join(dir, 'ai-proxy.db');
let store: SqliteStore;
before(() => {
  store = SqliteStore.open(path, { busyTimeoutMs: 10 });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const key = (over: Partial<LimitedKey>): LimitedKey => ({
  id: `key_${Math.random().toString(36).slice(2, 10)}`,
  name: 'alice',
  rpm: null,
  tpm: null,
  budgetNano: null,
  budgetTokens: null,
  budgetPeriod: 'month',
  ...over,
});

async function admit(l: QuotaLimiter, k: LimitedKey): Promise<Refusal | undefined> {
  return l.admit(k);
}

// Early in a minute, so per-minute tests do not cross a window; tests move the clock.
const T = Date.UTC(2026, 2, 10, 9, 0, 5);
let now = T;
const limiter = (options = {}) => new QuotaLimiter(store, 'h', { clock: () => now, ...options });

describe('limiter', () => {
  it('admits a key without limits without touching the store', () => {
    const l = limiter();
    assert.equal(l.admit(key({})), undefined);
    assert.equal(l.size, 0);
  });

  it('counts requests per minute and names the limit when it refuses', async () => {
    const l = limiter();
    const k = key({ rpm: 5 });
    for (let i = 0; i < 5; i++) assert.equal(await admit(l, k), undefined, `request ${i + 1}`);
    const r = await admit(l, k);
    assert.equal(r?.metric, 'rpm');
    assert.match(r!.message, /^key "alice" reached its limit of 5 requests per minute \(rpm\); retry after \d+ s$/);
    // Sliding window: in the next minute this one weighs 5 x (1 - f); room for one more at f = 0.2.
    assert.equal(r!.retryAfterS, 60 - 5 + 12);
  });

  it('counts tokens per minute when requests finish', async () => {
    const l = limiter();
    const k = key({ tpm: 100 });
    assert.equal(await admit(l, k), undefined);
    l.record(k, 80, null);
    assert.equal(await admit(l, k), undefined, '80 < 100: still room');
    l.record(k, 30, null);
    const r = await admit(l, k);
    assert.equal(r?.metric, 'tpm');
    assert.match(r!.message, /limit of 100 tokens per minute \(tpm\)/);
  });

  it('refuses past a money budget until the next period, and writes the spend to the store', async () => {
    const l = limiter();
    const k = key({ budgetNano: 1000, budgetPeriod: 'day' });
    assert.equal(await admit(l, k), undefined);
    l.record(k, 10, 600);
    assert.equal(await admit(l, k), undefined);
    l.record(k, 10, 600);
    const r = await admit(l, k);
    assert.equal(r?.metric, 'budget');
    assert.equal(
      r!.message,
      'key "alice" has used its budget of 0.000001 today (it resets at 2026-03-11T00:00:00.000Z)',
    );
    assert.equal(r!.retryAfterS, (Date.UTC(2026, 2, 11) - T) / 1000);
    now = Date.UTC(2026, 2, 11, 0, 0, 1);
    assert.equal(await admit(l, k), undefined, 'a new day, a new budget');
    await l.stop();
    assert.deepEqual(await store.counters([{ keyId: k.id, metric: 'budget', window: periodStart('day', T) }]), [1200]);
  });

  it('says a total budget does not reset', async () => {
    now = T;
    const l = limiter();
    const k = key({ budgetTokens: 10, budgetPeriod: 'total' });
    assert.equal(await admit(l, k), undefined);
    l.record(k, 10, null);
    const r = await admit(l, k);
    assert.deepEqual([r?.metric, r?.retryAfterS], ['token_budget', null]);
    assert.match(r!.message, /token budget of 10 tokens in total \(it does not reset\)/);
  });

  it('applies a lowered limit at once', async () => {
    now = T;
    const l = limiter();
    const k = key({ rpm: 100 });
    for (let i = 0; i < 3; i++) assert.equal(await admit(l, k), undefined);
    assert.equal((await admit(l, { ...k, rpm: 3 }))?.metric, 'rpm');
  });

  it('keeps enforcing on its own while the database is locked, then goes back to it', async () => {
    now = T;
    const errors: string[] = [];
    const l = limiter({ onError: (m: string) => errors.push(m) });
    const k = key({ rpm: 4 });
    assert.equal(await admit(l, k), undefined);
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    const locker = new DatabaseSync(path);
    locker.exec('BEGIN EXCLUSIVE');
    try {
      // The lease granted 2 of 4; the rest is decided locally from the last state seen.
      const results = [];
      for (let i = 0; i < 4; i++) results.push((await admit(l, k))?.metric);
      assert.deepEqual(results, [undefined, undefined, undefined, 'rpm']);
      assert.match(l.lastError ?? '', /limit counters: .*locked/);
      assert.equal(errors.length, 1);
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }
    now = T + 5000; // the store is asked again after retryMs
    assert.equal((await admit(l, k))?.metric, 'rpm', 'still 4 per minute');
    await l.flush();
    assert.equal(l.lastError, undefined);
    assert.deepEqual(await store.counters([{ keyId: k.id, metric: 'rpm', window: T - (T % 60_000) }]), [4]);
  });
});

describe('limiter: keys back from idle and new minutes', () => {
  /** The real store, with its lease transactions counted. */
  const counting = () => {
    const calls: number[] = [];
    const s = {
      acquireLeases: (r: Parameters<SqliteStore['acquireLeases']>[0]) => {
        calls.push(r.length);
        return store.acquireLeases(r);
      },
      flushQuota: store.flushQuota.bind(store),
      releaseLeases: store.releaseLeases.bind(store),
      pruneQuota: store.pruneQuota.bind(store),
    };
    return { s, calls };
  };
  const rpmNow = (k: LimitedKey) => store.counters([{ keyId: k.id, metric: 'rpm', window: now - (now % 60_000) }]);

  it('admits a key back from idle at once and counts that request with the lease taken meanwhile', async () => {
    now = T;
    const { s, calls } = counting();
    const l = new QuotaLimiter(s, 'h', { clock: () => now });
    const k = key({ rpm: 100, budgetNano: 1_000_000 });
    const first = l.admit(k);
    assert.ok(first instanceof Promise, 'the first request of a key waits for its leases');
    assert.equal(await first, undefined);
    await l.flush();
    now += 4000; // idle longer than idleMs: the leases go back to the store
    await l.flush();
    assert.equal(l.size, 2, 'the counters stay, without leases');
    const before = calls.length;
    assert.equal(l.admit(k), undefined, 'admitted without waiting for the store');
    const third = l.admit(k);
    assert.ok(third instanceof Promise, 'one request on the state seen; the next waits for the lease');
    assert.equal(await third, undefined);
    await l.flush();
    assert.equal(calls.length, before + 1, 'both leases in one transaction');
    assert.deepEqual(await rpmNow(k), [3]);
  });

  it('admits the first request of a new minute at once, from the minute before', async () => {
    now = T;
    const l = limiter();
    const k = key({ rpm: 100 });
    assert.equal(await admit(l, k), undefined);
    now = T + 60_000;
    assert.equal(l.admit(k), undefined);
    await l.flush();
    assert.deepEqual(await rpmNow(k), [1]);
  });

  it('waits for the store when the state seen leaves no room', async () => {
    now = T;
    const l = limiter();
    const k = key({ rpm: 2 });
    for (let i = 0; i < 2; i++) assert.equal(await admit(l, k), undefined);
    await l.flush();
    now += 4000;
    await l.flush();
    const r = l.admit(k);
    assert.ok(r instanceof Promise);
    assert.equal((await r)?.metric, 'rpm');
  });

  it('goes at most one request over a limit another process used up meanwhile (the documented tolerance)', async () => {
    now = T;
    const a = limiter();
    const b = new QuotaLimiter(store, 'other', { clock: () => now });
    const k = key({ rpm: 4 });
    assert.equal(await admit(a, k), undefined);
    await a.flush();
    now += 4000;
    await a.flush(); // a's lease is back in the store
    for (let i = 0; i < 3; i++) assert.equal(await admit(b, k), undefined, `b's request ${i + 1}`);
    await b.flush();
    assert.equal(a.admit(k), undefined, 'a still sees room: admitted on what it saw');
    assert.equal((await admit(a, k))?.metric, 'rpm', 'then the lease tells a the limit is reached');
    await a.stop();
    await b.stop();
    assert.deepEqual(await rpmNow(k), [5]);
  });

  it('takes the leases wanted at the same moment in one transaction', async () => {
    now = T;
    const { s, calls } = counting();
    const l = new QuotaLimiter(s, 'h', { clock: () => now });
    const keys = Array.from({ length: 10 }, () => key({ rpm: 10, tpm: 1000 }));
    assert.deepEqual(await Promise.all(keys.map((k) => l.admit(k))), Array(10).fill(undefined));
    assert.deepEqual(calls, [20]);
  });

  it('forgets counters whose minute is long over', async () => {
    now = T;
    const l = limiter();
    const k = key({ rpm: 10 });
    assert.equal(await admit(l, k), undefined);
    now = T + 2 * 60_000;
    await l.flush();
    assert.equal(l.size, 0);
  });

  it('flushes many counters in parts, serving the event loop between them, and commits every one', async () => {
    now = T;
    const l = limiter();
    const keys = Array.from({ length: 150 }, () => key({ tpm: 1_000_000 }));
    assert.deepEqual(await Promise.all(keys.map((k) => l.admit(k))), Array(150).fill(undefined));
    for (const k of keys) l.record(k, 7, null);
    let served = false;
    setImmediate(() => {
      served = true;
    });
    await l.flush();
    assert.ok(served, 'something else ran while the flush was under way');
    const minute = T - (T % 60_000);
    const used = await store.counters(keys.map((k) => ({ keyId: k.id, metric: 'tpm' as const, window: minute })));
    assert.deepEqual(used, Array(150).fill(7));
  });
});
