// The writer against a real SQLite file, made unavailable the real way: another connection
// holds the write lock (what a backup or a stuck CLI would do).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../store/sqlite.ts';
import type { LedgerRow } from './row.ts';
import { RetentionJob } from './retention.ts';
import { LedgerWriter } from './writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-ledger-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const row = (i: number, ts = Date.now()): LedgerRow => ({
  ts,
  requestId: `r${i}`,
  keyId: null,
  endpoint: '/v1/chat/completions',
  route: 'm',
  provider: 'p',
  model: 'm',
  stream: false,
  status: 200,
  inputTokens: 1,
  outputTokens: 1,
  cachedTokens: 0,
  costNano: null,
  latencyMs: 1,
  ttfbMs: 1,
  error: null,
});

async function count(store: SqliteStore): Promise<number> {
  const [g] = await store.usage({ since: Date.now() - 86_400_000, until: Date.now() + 1000, by: [] });
  return g?.requests ?? 0;
}

describe('ledger writer', () => {
  it('writes in batches, keeps rows while the database is locked, drops beyond its bound, recovers', async () => {
    const path = join(dir, 'lock.db');
    const store = SqliteStore.open(path, { busyTimeoutMs: 10 });
    const errors: (string | undefined)[] = [];
    const drops: number[] = [];
    const writer = new LedgerWriter(store, {
      maxQueue: 10,
      batchSize: 4,
      maxBackoffMs: 1,
      onError: (m) => errors.push(m),
      onDrop: (n) => drops.push(n),
    });
    for (let i = 0; i < 6; i++) assert.ok(writer.push(row(i)));
    await writer.drain();
    assert.equal(await count(store), 6);

    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    const locker = new DatabaseSync(path);
    locker.exec('BEGIN EXCLUSIVE');
    for (let i = 6; i < 20; i++) writer.push(row(i));
    await writer.drain();
    const locked = writer.health();
    assert.equal(locked.status, 'degraded');
    assert.equal(locked.queued, 10, 'the queue holds at most maxQueue rows');
    assert.equal(locked.dropped, 4);
    assert.match(locked.last_error ?? '', /database is locked/);
    assert.deepEqual(drops, [1]);
    assert.match(errors[0] ?? '', /locked/);

    locker.exec('COMMIT');
    locker.close();
    // Past the backoff, the next drain (a timer's or this one) writes the rest.
    for (let i = 0; i < 100 && writer.health().queued > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await writer.drain();
    }
    assert.equal(writer.health().queued, 0);
    assert.equal(writer.health().last_error, null);
    assert.equal(errors.at(-1), undefined, 'recovery is reported');
    assert.equal(await count(store), 16);
    await writer.stop();
    await store.close();
  });

  it('writes what is queued when stopped', async () => {
    const store = SqliteStore.open(join(dir, 'stop.db'));
    const writer = new LedgerWriter(store, { flushMs: 60_000 });
    writer.start();
    for (let i = 0; i < 3; i++) writer.push(row(i));
    await writer.stop();
    assert.equal(await count(store), 3);
    await store.close();
  });

  it('deletes rows past the retention period', async () => {
    const store = SqliteStore.open(join(dir, 'retention.db'));
    const now = Date.now();
    await store.insertRows([row(1, now - 40 * 86_400_000), row(2, now - 20 * 86_400_000), row(3, now)]);
    const job = new RetentionJob(store, 30);
    assert.equal(await job.run(now), 1);
    job.setRetentionDays(10);
    assert.equal(await job.run(now), 1);
    assert.equal(await count(store), 1);
    await store.close();
  });
});
