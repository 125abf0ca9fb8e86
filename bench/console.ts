// `npm run bench:console` (under flock /tmp/aip-heavy.lock; options --rows, --stores, --rate,
// --seconds, --rounds, --skip queries,latency,rss): the web console's two figures.
// 1. The overview's query time over 1,000,000 ledger rows (30 days, 40 keys, 4 models), per
//    range, from the rows and from the hourly rollup, through the console's own store (SQLite in
//    its worker thread; PostgreSQL when Debian's server binaries are there), with the event
//    loop's longest stall meanwhile, and the same queries on the event loop itself for
//    comparison (what the worker thread avoids).
// 2. The proxy's latency (wrk, paced) with nobody on the console, then while a console refreshes
//    the overview (last hour and 24 hours) and the requests table every second, the two in turn
//    --rounds times: the bundle of src/ on Node 24, an SQLite ledger holding the million rows, a
//    mock upstream process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeOverview, RANGES, type RangeName } from '../src/console/overview.ts';
import { openThreadedSqlite } from '../src/console/store-thread.ts';
import type { LedgerRow } from '../src/ledger/row.ts';
import { DATABASE_FILE, SqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/types.ts';
import { postgresBinDir, startPostgres } from '../test/store/pg-server.ts';
import { rssBytes, sleep, startWithPortLine } from './lib/proc.ts';
import { runWrk, type WrkResult } from './loads/wrk.ts';
import { PROXY_MODEL, proxyHeaders, writeProxyConfig } from './targets/ai-proxy-config.ts';
import type { RunningTarget } from './targets/types.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    rate: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '20' },
    skip: { type: 'string', default: '' },
    rounds: { type: 'string', default: '2' },
  },
});
const ROWS = Number(values.rows);
const ROOT = join(import.meta.dirname, '..');
const log = (m: string) => process.stderr.write(`[bench:console] ${m}\n`);
const MODELS = [
  ['gpt-4o-mini', 'openai'],
  ['gpt-4o', 'openai'],
  ['claude-sonnet', 'anthropic'],
  ['llama-3', 'local'],
] as const;

async function fill(store: Store, now: number): Promise<void> {
  const span = 30 * 86_400_000;
  const t0 = performance.now();
  for (let b = 0; b < ROWS; b += 5000) {
    const rows: LedgerRow[] = [];
    for (let i = b; i < Math.min(ROWS, b + 5000); i++) {
      const [model, provider] = MODELS[i % 4]!;
      rows.push({
        ts: now - span + Math.floor((i / ROWS) * span),
        requestId: `req-${i}`,
        keyId: i % 50 === 0 ? null : `key_${String(i % 40).padStart(12, '0')}`,
        endpoint: '/v1/chat/completions',
        route: model,
        provider,
        model,
        stream: i % 2 === 0,
        status: i % 97 === 0 ? 502 : 200,
        inputTokens: 800 + (i % 300),
        outputTokens: 150 + (i % 100),
        cachedTokens: 0,
        costNano: 150_000 + (i % 1000),
        latencyMs: 200 + (i % 1500),
        ttfbMs: 80 + (i % 400),
        error: i % 97 === 0 ? 'upstream returned 502' : null,
      });
    }
    await store.insertRows(rows);
  }
  log(`${ROWS} rows written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

interface QueryFigure {
  store: string;
  range: RangeName;
  medianMs: number;
  maxLoopStallMs: number;
}

/**
 * Three cold overviews per range (no cache), with the longest event-loop stall meanwhile: a 1 ms
 * ticker notes the longest gap between its ticks, and each overview is followed by a short pause
 * so the ticker gets its turn (a synchronous query shows as one long gap).
 */
async function timeOverviews(label: string, store: Store, now: number, rowsOnly = false): Promise<QueryFigure[]> {
  const out: QueryFigure[] = [];
  for (const range of Object.keys(RANGES) as RangeName[]) {
    const times: number[] = [];
    let last = performance.now();
    let stall = 0;
    const ticker = setInterval(() => {
      const t = performance.now();
      stall = Math.max(stall, t - last);
      last = t;
    }, 1);
    for (let i = 0; i < 3; i++) {
      await sleep(20);
      last = performance.now();
      const t = performance.now();
      await computeOverview(store, range, now, { rowsOnly });
      times.push(performance.now() - t);
      await sleep(20);
    }
    clearInterval(ticker);
    times.sort((a, b) => a - b);
    out.push({ store: label, range, medianMs: Math.round(times[1]!), maxLoopStallMs: Math.round(stall) });
    log(`${label} ${range}: ${Math.round(times[1]!)} ms (event loop stalled up to ${Math.round(stall)} ms)`);
  }
  return out;
}

async function queryFigures(dir: string, now: number): Promise<QueryFigure[]> {
  const figures: QueryFigure[] = [];
  const path = join(dir, 'data', DATABASE_FILE);
  if (values.stores.includes('sqlite')) {
    const writer = SqliteStore.open(path);
    await fill(writer, now);
    figures.push(...(await timeOverviews('sqlite, rows only, on the event loop', writer, now, true)));
    figures.push(...(await timeOverviews('sqlite, rollup, on the event loop', writer, now)));
    await writer.close();
    const threaded = await openThreadedSqlite(path);
    figures.push(...(await timeOverviews('sqlite, rows only, console worker thread', threaded, now, true)));
    figures.push(...(await timeOverviews('sqlite, rollup, console worker thread', threaded, now)));
    await threaded.close();
  }
  if (values.stores.includes('postgres') && postgresBinDir()) {
    const server = await startPostgres();
    try {
      const { PostgresStore } = await import('../src/store/postgres.ts');
      const pg = await PostgresStore.open(await server.createDatabase('console_bench'), { queryTimeoutMs: 120_000 });
      await fill(pg, now);
      figures.push(...(await timeOverviews('postgresql, rows only', pg, now, true)));
      figures.push(...(await timeOverviews('postgresql, rollup', pg, now)));
      await pg.close();
    } finally {
      await server.stop();
    }
  }
  return figures;
}

let bundled: string | undefined;

/** src/ bundled as the release does it (once per run). */
async function bundleOnce(dir: string): Promise<string> {
  if (bundled) return bundled;
  const bundleDir = join(dir, 'bundle');
  const bundle = spawn(
    process.execPath,
    [
      join(ROOT, 'scripts/release/bundle.mjs'),
      join(bundleDir, 'ai-proxy.cjs'),
      '0.0.0-bench',
      'bench',
      process.version,
    ],
    { stdio: 'inherit' },
  );
  await new Promise((r) => bundle.once('exit', r));
  bundled = join(bundleDir, 'ai-proxy.cjs');
  return bundled;
}

/** The bundled proxy on Node 24 with the release's flags, the ledger in `dir`; the console on unless told otherwise. */
async function startProxy(dir: string, upstreamPort: number, withConsole = true) {
  const script = await bundleOnce(dir);
  const config = join(dir, 'config');
  // PORT in .env must be valid; --port 0 on the command line picks a free one.
  writeProxyConfig(config, 8080, '127.0.0.1', upstreamPort);
  writeFileSync(join(config, '.env'), `DATA_DIR=${join(dir, 'data')}\n`, { flag: 'a' });
  const args = [
    '--no-maglev',
    '--max-semi-space-size=8',
    script,
    'serve',
    '--config-dir',
    config,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
  ];
  const child = spawn(process.execPath, withConsole ? [...args, '--console-port', '0'] : args, {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  const ports = await new Promise<{ proxy: number; console: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the proxy did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const p = /"msg":"listening".*?"port":(\d+)/.exec(out);
      const k = /"msg":"console listening".*?"port":(\d+)/.exec(out);
      if (p && (k || !withConsole)) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ proxy: Number(p[1]), console: Number(k?.[1] ?? 0) });
      }
    });
  });
  return { child, ...ports };
}

/** A browser's refresh cycle every second: the overview of the last hour and of 24 hours, and a page of requests. */
function consoleVisitor(consoleUrl: string, token: string): { stop: () => Promise<number> } {
  let running = true;
  let rounds = 0;
  const done = (async () => {
    const r = await fetch(`${consoleUrl}/console/api/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: consoleUrl },
      body: JSON.stringify({ secret: token }),
    });
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
    while (running) {
      const started = Date.now();
      await Promise.all(
        ['overview?range=1h', 'overview?range=24h', 'requests?range=24h&limit=50'].map((p) =>
          fetch(`${consoleUrl}/console/api/${p}`, { headers: { cookie } }).then((x) => x.arrayBuffer()),
        ),
      );
      rounds++;
      await sleep(Math.max(0, 1000 - (Date.now() - started)));
    }
  })();
  return { stop: async () => ((running = false), await done, rounds) };
}

async function latencyFigures(dir: string): Promise<Record<string, WrkResult & { consoleRounds?: number }>> {
  const upstream = await startWithPortLine(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/upstream.ts')],
    join(dir, 'upstream.log'),
  );
  const proxy = await startProxy(dir, upstream.port);
  const target = {
    url: `http://127.0.0.1:${proxy.proxy}/v1/chat/completions`,
    headers: proxyHeaders,
  } as unknown as RunningTarget;
  const load = { connections: 20, seconds: Number(values.seconds), pace: { rate: Number(values.rate), burst: 1 } };
  const results: Record<string, WrkResult & { consoleRounds?: number }> = {};
  try {
    await runWrk(ROOT, target, { connections: 20, seconds: 3 }); // warm-up
    // Quiet and busy in turn, several times: on a shared machine a neighbour's burst lands in one
    // phase, and the repeat shows it.
    for (let round = 1; round <= Number(values.rounds); round++) {
      results[`nobody on the console (${round})`] = await runWrk(ROOT, target, load);
      const visitor = consoleVisitor(`http://127.0.0.1:${proxy.console}`, proxyHeaders.Authorization.slice(7));
      const busy = await runWrk(ROOT, target, load);
      results[`console refreshing every second (${round})`] = { ...busy, consoleRounds: await visitor.stop() };
      log(`round ${round}: p99 ${results[`nobody on the console (${round})`]!.p99Us} us quiet, ${busy.p99Us} us busy`);
    }
  } finally {
    proxy.child.kill('SIGTERM');
    await new Promise((r) => proxy.child.once('exit', r));
    await upstream.proc.stop();
  }
  return results;
}

/** Resident memory of the proxy 3 s after start: console off, on but unused, and on after an overview. */
async function rssFigures(dir: string): Promise<Record<string, number>> {
  const upstream = await startWithPortLine(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/upstream.ts')],
    join(dir, 'upstream-rss.log'),
  );
  const out: Record<string, number> = {};
  const mib = (pid: number) => Math.round((rssBytes([pid]) / 1048576) * 10) / 10;
  try {
    for (const withConsole of [false, true]) {
      const proxy = await startProxy(dir, upstream.port, withConsole);
      await sleep(3000);
      out[withConsole ? 'console on, nobody signed in' : 'console off'] = mib(proxy.child.pid!);
      if (withConsole) {
        const visitor = consoleVisitor(`http://127.0.0.1:${proxy.console}`, proxyHeaders.Authorization.slice(7));
        await sleep(3000);
        await visitor.stop();
        await sleep(1000);
        out['console on, after 3 s of overview refreshes (store thread running)'] = mib(proxy.child.pid!);
      }
      proxy.child.kill('SIGTERM');
      await new Promise((r) => proxy.child.once('exit', r));
    }
  } finally {
    await upstream.proc.stop();
  }
  log(`RSS MiB: ${JSON.stringify(out)}`);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'aip-bench-console-'));
try {
  const now = Date.now();
  const queries = values.skip.includes('queries') ? [] : await queryFigures(dir, now);
  const latency = values.skip.includes('latency') ? {} : await latencyFigures(dir);
  const rss = values.skip.includes('rss') ? {} : await rssFigures(dir);
  process.stdout.write(`${JSON.stringify({ rows: ROWS, model: PROXY_MODEL, queries, latency, rss }, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
