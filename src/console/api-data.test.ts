// The console's API in memory over a real SQLite store (in its worker thread): keys through the
// keys service, the overview and the requests table from the ledger.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requestInMemory } from '../http/in-memory.ts';
import { DATABASE_FILE, SqliteStore } from '../store/sqlite.ts';
import { row, SAME_ORIGIN, setup, signIn } from './in-memory-console.ts';

describe('console API over the store', () => {
  let t: ReturnType<typeof setup>;
  before(() => {
    t = setup();
  });
  after(async () => {
    await t.built.closeStore();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('creates, changes and revokes keys through the keys service; the secret is shown once', async () => {
    const { cookie, csrf } = await signIn(t.handler);
    const headers = { ...SAME_ORIGIN, cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' };
    const created = await requestInMemory(t.handler, '/console/api/keys', {
      method: 'POST',
      headers,
      body: { name: 'alice', models: 'echo*', rpm: '60', budget: '20/month', expires: '90d' },
    });
    assert.equal(created.status, 201, created.body);
    const { key, secret } = created.json() as { key: Record<string, unknown>; secret: string };
    assert.match(secret, /^aip_[0-9A-Za-z]{43}$/);
    assert.deepEqual(
      [key.name, key.models, key.rpm, key.budget, key.budget_period],
      ['alice', ['echo*'], 60, '20.00', 'month'],
    );
    const bad = await requestInMemory(t.handler, '/console/api/keys', {
      method: 'POST',
      headers,
      body: { name: 'x', rpm: '-1' },
    });
    assert.equal(bad.status, 400);
    assert.match((bad.json() as { error: { message: string } }).error.message, /rpm/);
    const dup = await requestInMemory(t.handler, '/console/api/keys', {
      method: 'POST',
      headers,
      body: { name: 'alice' },
    });
    assert.equal(dup.status, 409);
    const changed = await requestInMemory(t.handler, `/console/api/keys/${key.id}`, {
      method: 'PATCH',
      headers,
      body: { rpm: 'none', tpm: '200k' },
    });
    assert.equal(changed.status, 200, changed.body);
    assert.deepEqual(
      [
        (changed.json() as { key: { rpm: unknown; tpm: unknown } }).key.rpm,
        (changed.json() as { key: { tpm: unknown } }).key.tpm,
      ],
      [null, 200_000],
    );
    const list = await requestInMemory(t.handler, '/console/api/keys', { headers: { cookie } });
    assert.ok(!list.body.includes(secret), 'the list never holds a secret');
    assert.ok(!list.body.includes('"hash"'), 'nor a hash');
    const revoked = await requestInMemory(t.handler, `/console/api/keys/${key.id}/revoke`, {
      method: 'POST',
      headers,
      body: {},
    });
    assert.equal((revoked.json() as { key: { status: string } }).key.status, 'revoked');
    // The CLI's store sees the same key, revoked.
    const store = SqliteStore.open(join(t.dir, DATABASE_FILE));
    try {
      const stored = await store.findKey({ id: String(key.id) });
      assert.equal(stored?.name, 'alice');
      assert.notEqual(stored?.revokedAt, null);
    } finally {
      await store.close();
    }
  });

  it('draws the overview and the requests table from the ledger', async () => {
    const store = SqliteStore.open(join(t.dir, DATABASE_FILE));
    const now = Date.now();
    try {
      await store.insertRows([
        row({ ts: now - 1000, requestId: 'a' }),
        row({ ts: now - 2000, requestId: 'b', latencyMs: 40 }),
        row({
          ts: now - 3000,
          requestId: 'c',
          status: 502,
          error: 'upstream failed',
          costNano: null,
          inputTokens: 0,
          outputTokens: 0,
        }),
      ]);
    } finally {
      await store.close();
    }
    const { cookie } = await signIn(t.handler);
    const o = (await requestInMemory(t.handler, '/console/api/overview?range=1h', { headers: { cookie } })).json() as {
      totals: { requests: number; errors: number; costNano: number };
      series: { t: number[]; requests: number[] };
      providers: { name: string; latency: { p50: number } }[];
    };
    assert.deepEqual([o.totals.requests, o.totals.errors, o.totals.costNano], [3, 1, 2000]);
    assert.equal(o.series.t.length, 60);
    assert.equal(
      o.series.requests.reduce((a, b) => a + b, 0),
      3,
    );
    assert.equal(o.providers.find((p) => p.name === 'echo')?.latency.p50, 20);
    const page = (
      await requestInMemory(t.handler, '/console/api/requests?range=1h&outcome=error', { headers: { cookie } })
    ).json() as {
      rows: { id: number; ts: number; requestId: string }[];
    };
    assert.deepEqual(
      page.rows.map((r) => r.requestId),
      ['c'],
    );
    const one = await requestInMemory(t.handler, `/console/api/requests/${page.rows[0]!.ts}-${page.rows[0]!.id}`, {
      headers: { cookie },
    });
    assert.equal((one.json() as { request: { error: string } }).request.error, 'upstream failed');
    assert.equal(
      (await requestInMemory(t.handler, '/console/api/requests/1-999', { headers: { cookie } })).status,
      404,
    );
    for (const q of ['range=9y', 'limit=5000', 'since=5&until=1', 'outcome=maybe', 'model=%3Cscript%3E'])
      assert.equal(
        (await requestInMemory(t.handler, `/console/api/requests?${q}`, { headers: { cookie } })).status,
        400,
        q,
      );
  });
});
