// Two `ai-proxy serve` processes with one DATABASE_URL (a real PostgreSQL server, started for
// the test), as two replicas behind a load balancer: a key created once works on both, its
// budget is shared (spent in full, never exceeded by more than one request per process), and
// its revocation reaches both.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { createKey, revokeKey } from '../../src/keys/service.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { postgresSkip, startPostgres, type PgServer } from '../store/pg-server.ts';
import { openaiProvider, type ProxyProcess, startProxyProcess, writeConfigDir } from './harness.ts';

const skip = postgresSkip();
const BUDGET_NANO = 40_000_000; // 0.04 at 2.5 / 10 per million tokens: a few dozen requests

describe('two proxies sharing keys and a budget through PostgreSQL', { skip }, () => {
  let pg: PgServer;
  let oa: MockUpstream;
  let store: PostgresStore;
  const proxies: ProxyProcess[] = [];

  before(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase('replicas');
    oa = await startOpenAIMock();
    store = await PostgresStore.open(url);
    for (let i = 0; i < 2; i++) {
      const dir = writeConfigDir(
        `providers:\n${openaiProvider('oa', oa.url, '    models: [gpt-4o]\n')}prices:\n  gpt-4o: {input: 2.5, output: 10}\n`,
        `DATABASE_URL=${url}\n`,
      );
      proxies.push(await startProxyProcess(dir));
    }
  });
  after(async () => {
    for (const p of proxies) {
      p.child.kill('SIGTERM');
      await p.exited;
      rmSync(p.dir, { recursive: true, force: true });
    }
    await store?.close();
    await oa?.close();
    await pg?.stop();
  });

  it('spends the whole budget across both, and no more than one request over per process', async (t) => {
    const { key, secret } = await createKey(store, { name: 'team', budgetNano: BUDGET_NANO, budgetPeriod: 'month' });
    const clients = proxies.map((p) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: secret, maxRetries: 0 }));
    // Both replicas load a new key within a second; on a busy machine one may be later than the
    // other, and the first alone would spend most of the budget: start once both know the key
    // (the model list costs nothing against a budget).
    for (const p of proxies) {
      const known = async () =>
        (await fetch(`${p.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })).status === 200;
      for (let i = 0; i < 200 && !(await known()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Each "replica" gets requests one after another (a load balancer alternating between them),
    // prompts of varying length so requests cost different amounts.
    const served = [0, 0];
    let largest = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        for (let n = 0; n < 500; n++) {
          const words = 'lorem ipsum dolor sit amet '.repeat(1 + ((n * 7 + i * 3) % 11));
          const r = await client.chat.completions
            .create({ model: 'gpt-4o', messages: [{ role: 'user', content: words }] })
            .catch((e: unknown) => {
              // Both replicas serve the key only once each has loaded it (within a second).
              if (e instanceof OpenAI.AuthenticationError) return 'not yet' as const;
              if (e instanceof OpenAI.RateLimitError && e.code === 'budget_exceeded') return 'spent' as const;
              throw e;
            });
          if (r === 'spent') return;
          if (r === 'not yet') {
            await new Promise((resolve) => setTimeout(resolve, 50));
            continue;
          }
          served[i]!++;
          largest = Math.max(largest, r.usage!.prompt_tokens * 2500 + r.usage!.completion_tokens * 10_000);
        }
        throw new Error(`replica ${i} was never refused`);
      }),
    );
    // Both processes write their last usage when they stop; until then it is at most a second late.
    const spent = await untilStable(
      async () =>
        (await store.usage({ since: Date.now() - 3_600_000, until: Date.now() + 1000, by: [], keyIds: [key.id] }))[0]
          ?.costNano ?? 0,
    );
    t.diagnostic(`budget ${BUDGET_NANO}, spent ${spent} in ${served[0]} + ${served[1]} requests, largest ${largest}`);
    assert.ok(served[0]! > 3 && served[1]! > 3, 'both replicas served the key');
    assert.ok(spent >= BUDGET_NANO, `spent ${spent}: the whole budget was usable`);
    assert.ok(spent <= BUDGET_NANO + 2 * largest, `spent ${spent}: at most one request (${largest}) over per process`);

    await revokeKey(store, 'team');
    for (const client of clients)
      await untilStable(async () =>
        client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).then(
          () => 'served',
          (e: unknown) => (e instanceof OpenAI.AuthenticationError && e.code === 'key_revoked' ? 'revoked' : 'other'),
        ),
      ).then((state) => assert.equal(state, 'revoked'));
  });
});

/** Polls until the value stops changing for a second (or 15 s pass). */
async function untilStable<T>(read: () => Promise<T>): Promise<T> {
  let last = await read();
  let since = Date.now();
  const end = Date.now() + 15_000;
  while (Date.now() - since < 1000 && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const v = await read();
    if (v !== last) {
      last = v;
      since = Date.now();
    }
  }
  return last;
}
