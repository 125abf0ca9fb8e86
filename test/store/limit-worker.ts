// One "proxy process" for the shared-limit tests: a QuotaLimiter of its own (its own holder id)
// against the shared PostgreSQL store, sending requests one after another until a limit
// refuses one. Prints what it was allowed and what it spent, as one JSON line.
// Usage: node --import tsx limit-worker.ts URL HOLDER KEY_JSON MAX_COST SEED
import { QuotaLimiter, type LimitedKey } from '../../src/quota/limiter.ts';
import { PostgresStore } from '../../src/store/postgres.ts';

const [url, holder, keyJson, maxCostText, seedText] = process.argv.slice(2);
const key = JSON.parse(keyJson!) as LimitedKey;
const maxCost = Number(maxCostText);
let seed = Number(seedText);
// A small deterministic generator: each run's costs can be replayed.
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

const store = await PostgresStore.open(url!);
const limiter = new QuotaLimiter(store, holder!, { flushMs: 50 });
limiter.start();
let admitted = 0;
let spent = 0;
let refusal = '';
for (;;) {
  const r = await limiter.admit(key);
  if (r) {
    refusal = r.message;
    break;
  }
  admitted++;
  // The request runs for a moment, then its cost is known.
  await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
  const cost = 1 + Math.floor(random() * maxCost);
  spent += cost;
  limiter.record(key, cost, cost);
}
await limiter.stop();
await store.close();
process.stdout.write(`${JSON.stringify({ admitted, spent, refusal, error: limiter.lastError ?? null })}\n`);
