// Two proxy processes (each its own QuotaLimiter and PostgreSQL connection) share one key's
// limits through a real PostgreSQL server: together they never spend more than the budget plus
// one request each, and they spend all of it; a per-minute request limit is never exceeded.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { periodStart } from '../../src/keys/periods.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { postgresSkip, startPostgres, type PgServer } from './pg-server.ts';

const run = promisify(execFile);
const WORKER = join(import.meta.dirname, 'limit-worker.ts');
const skip = postgresSkip();

interface WorkerResult {
  admitted: number;
  spent: number;
  refusal: string;
  error: string | null;
}

async function worker(url: string, holder: string, key: object, maxCost: number, seed: number): Promise<WorkerResult> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', WORKER, url, holder, JSON.stringify(key), String(maxCost), String(seed)],
    { timeout: 120_000 },
  );
  return JSON.parse(stdout) as WorkerResult;
}

const limited = (over: object) => ({
  id: 'key_shared',
  name: 'shared',
  rpm: null,
  tpm: null,
  budgetNano: null,
  budgetTokens: null,
  budgetPeriod: 'month',
  ...over,
});

describe('limits shared by two processes through PostgreSQL', { skip }, () => {
  let server: PgServer;
  let url = '';
  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase('shared_limits');
    await (await PostgresStore.open(url)).close(); // migrate once, before the workers race
  });
  after(async () => {
    await server?.stop();
  });

  for (const seed of [1, 2, 3]) {
    it(`never overspends a budget by more than one request per process (seed ${seed})`, async (t) => {
      const budget = 20_000;
      const maxCost = 100;
      const key = limited({ id: `key_budget${seed}`, budgetNano: budget });
      const [a, b] = await Promise.all([
        worker(url, `A${seed}`, key, maxCost, seed),
        worker(url, `B${seed}`, key, maxCost, seed * 7919),
      ]);
      assert.equal(a.error, null);
      assert.equal(b.error, null);
      assert.match(a.refusal, /has used its budget of 0\.00002 this month/);
      const store = await PostgresStore.open(url);
      const [used] = await store.counters([
        { keyId: key.id, metric: 'budget', window: periodStart('month', Date.now()) },
      ]);
      await store.close();
      t.diagnostic(`budget ${budget}, spent ${used} in ${a.admitted} + ${b.admitted} requests`);
      assert.equal(used, a.spent + b.spent, 'every cost reached the shared counter');
      assert.ok(used! >= budget, `spent ${used}, the whole budget of ${budget} was usable`);
      assert.ok(used! <= budget + 2 * maxCost, `spent ${used}: at most one request (${maxCost}) over per process`);
      assert.ok(a.admitted > 10 && b.admitted > 10, `both processes served requests (${a.admitted}, ${b.admitted})`);
    });
  }

  it('admits at most the per-minute request limit across both processes', async () => {
    // Start early in a minute so the whole run sits in one window.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    const key = limited({ id: 'key_rpm', rpm: 150 });
    const [a, b] = await Promise.all([worker(url, 'RA', key, 1, 5), worker(url, 'RB', key, 1, 6)]);
    assert.equal(a.admitted + b.admitted, 150);
    assert.match(a.refusal, /reached its limit of 150 requests per minute \(rpm\); retry after \d+ s/);
  });
});
