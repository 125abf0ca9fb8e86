// `npm run bench:ledger`: how many ledger rows per second each store writes before the ledger
// falls behind. The real LedgerWriter (default batch size and interval) over the real store
// (an SQLite file; a throwaway PostgreSQL server when Debian's postgresql is installed), fed at
// a fixed rate for a few seconds per step. A step keeps up when, at its end, no row was dropped
// and the queue holds no more than one second of rows. For SQLite, whose writes are synchronous,
// the event loop's delay (p99, max) shows what the writes cost requests served meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { LedgerRow } from '../src/ledger/row.ts';
import { LedgerWriter } from '../src/ledger/writer.ts';
import { PostgresStore } from '../src/store/postgres.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/types.ts';
import { postgresBinDir, startPostgres } from '../test/store/pg-server.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    rates: { type: 'string', default: '1000,2000,5000,10000,20000,40000,80000' },
    stores: { type: 'string', default: 'sqlite,postgres' },
  },
});
const SECONDS = Number(values.seconds);
const RATES = values.rates.split(',').map(Number);

const log = (m: string) => process.stderr.write(`[bench:ledger] ${m}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let n = 0;
function row(): LedgerRow {
  n++;
  return {
    ts: Date.now(),
    requestId: `0f8e6a52-1c9d-4d7b-9a51-${String(n).padStart(12, '0')}`,
    keyId: `key_${String(n % 1000).padStart(12, '0')}`,
    endpoint: '/v1/chat/completions',
    route: 'gpt-4o-mini',
    provider: 'openai',
    model: 'gpt-4o-mini',
    stream: n % 2 === 0,
    status: 200,
    inputTokens: 812,
    outputTokens: 196,
    cachedTokens: 512,
    costNano: 151_200,
    latencyMs: 842.3,
    ttfbMs: 311.7,
    error: null,
  };
}

interface Step {
  rate: number;
  written: number;
  queuedAtEnd: number;
  dropped: number;
  keptUp: boolean;
  loopP99Ms: number;
  loopMaxMs: number;
}

async function step(store: Store, rate: number): Promise<Step> {
  const writer = new LedgerWriter(store);
  writer.start();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const tickMs = 10;
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++) writer.push(row());
    await sleep(tickMs);
  }
  delay.disable();
  const h = writer.health();
  const result: Step = {
    rate,
    written: h.written,
    queuedAtEnd: h.queued,
    dropped: h.dropped,
    keptUp: h.dropped === 0 && h.queued <= rate,
    loopP99Ms: Math.round(delay.percentile(99) / 1e4) / 100,
    loopMaxMs: Math.round(delay.max / 1e4) / 100,
  };
  await writer.stop(30_000);
  return result;
}

async function measure(name: string, store: Store): Promise<{ name: string; steps: Step[]; sustained: number }> {
  const steps: Step[] = [];
  for (const rate of RATES) {
    const s = await step(store, rate);
    steps.push(s);
    log(
      `${name} ${rate} rows/s: ${s.keptUp ? 'kept up' : 'fell behind'} (queued ${s.queuedAtEnd}, dropped ${s.dropped}, event loop p99 ${s.loopP99Ms} ms, max ${s.loopMaxMs} ms)`,
    );
    if (!s.keptUp) break;
  }
  const sustained = Math.max(0, ...steps.filter((s) => s.keptUp).map((s) => s.rate));
  return { name, steps, sustained };
}

const dir = mkdtempSync(join(tmpdir(), 'aip-bench-ledger-'));
const results = [];
try {
  for (const kind of values.stores.split(',')) {
    if (kind === 'sqlite') {
      const store = SqliteStore.open(join(dir, 'ai-proxy.db'), { busyTimeoutMs: 20 });
      results.push(await measure('SQLite (node:sqlite, WAL)', store));
      await store.close();
    } else if (kind === 'postgres') {
      if (!postgresBinDir()) {
        log('postgres: skipped (apt-get install -y postgresql)');
        continue;
      }
      const server = await startPostgres();
      try {
        const store = await PostgresStore.open(await server.createDatabase('bench'));
        results.push(await measure('PostgreSQL 15 (local, fsync off)', store));
        await store.close();
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const lines = [
  '| store | rows/s kept up (highest step) | steps: rate -> queued at end, event loop p99 / max ms |',
  '|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.sustained.toLocaleString('en-US')} | ${r.steps
        .map(
          (s) =>
            `${s.rate / 1000}k -> ${s.keptUp ? 'ok' : `behind (${s.queuedAtEnd} queued)`}, ${s.loopP99Ms} / ${s.loopMaxMs}`,
        )
        .join('; ')} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
