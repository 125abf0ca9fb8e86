// The Swarm benchmark: three simulated Debian 12 VPSes (test/vps) form a swarm and
// run the service with the installer's shape (one task per node, each limited to 0.5 CPU);
// nginx on this host is a round-robin load balancer in front of one node, then of all three,
// in the same run with the same load (wrk, bench/wrk/post.lua, authenticated echo completions).
// Rounds alternate 1 node / 3 nodes so drift on the shared machine hits both alike.
//   node --import tsx bench/swarm.ts [--seconds 15] [--connections 50] [--rounds 2]
// Needs: a Docker engine, wrk and nginx (sh bench/setup.sh), the release (pkg/ or VPS_RELEASE_DIR).
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release as kernel, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMicros, hasCommand, sleep, startProcess, waitHttp, type Proc } from './lib/proc.ts';
import { freePort } from './targets/types.ts';
import { currentRelease, missingArtifacts, REPO_ROOT } from '../test/vps/lib/artifacts.ts';
import { ensureImages } from '../test/vps/lib/images.ts';
import { recipe } from '../test/vps/lib/recipes.ts';
import { releaseVersion } from '../test/vps/lib/next-release.ts';
import { removeStale } from '../test/vps/lib/vps.ts';
import { SERVICE, SwarmVpses, type SwarmNode } from '../test/vps/lib/swarm.ts';
import { deployByInstaller, installerHasSwarm } from '../test/vps/lib/swarm-install.ts';

const PORT = 8080;
const BODY = JSON.stringify({
  model: 'echo',
  messages: [{ role: 'user', content: 'Write one sentence about foxes.' }],
});
const log = (m: string) => process.stderr.write(`[bench swarm] ${m}\n`);

export interface LoadResult {
  nodes: number;
  round: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU each node's task used during the measured run, in cores (its limit is 0.5) */
  taskCores: number[];
  /** nginx's CPU during the run, in cores */
  nginxCores: number;
  /** the whole machine's busy CPU during the run, in cores (of cpus().length) */
  hostCores: number;
}

/** Busy and total jiffies of the whole machine (/proc/stat's first line). */
function hostJiffies(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

interface TaskCpu {
  usageNs: number;
  quota: string;
}

/** The task container's cgroup (v1, cgroupfs driver in the VPS engines): CPU time used, CFS quota. */
async function taskCpu(node: SwarmNode): Promise<TaskCpu> {
  const script = `id=$(docker ps -q --no-trunc --filter label=com.docker.swarm.service.name=${SERVICE}); d=/sys/fs/cgroup; echo $(cat $d/cpuacct/docker/$id/cpuacct.usage) $(cat $d/cpu/docker/$id/cpu.cfs_quota_us)/$(cat $d/cpu/docker/$id/cpu.cfs_period_us)`;
  const [usage = 'NaN', quota = '?'] = (await node.session.vps.execOk(script)).stdout.trim().split(' ');
  return { usageNs: Number(usage), quota };
}

/** nginx, one worker as in bench/nginx.conf.template, round-robin over the nodes' published ports. */
export function nginxConfig(dir: string, port: number, nodes: string[]): string {
  return `daemon off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 16000; }
http {
    access_log off;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    keepalive_requests 100000;
    upstream swarm {
${nodes.map((n) => `        server ${n}:${PORT};`).join('\n')}
        keepalive 128;
    }
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://swarm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`;
}

function wrk(
  url: string,
  token: string,
  connections: number,
  seconds: number,
): Promise<Omit<LoadResult, 'nodes' | 'round' | 'taskCores' | 'nginxCores' | 'hostCores'>> {
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--timeout',
    '10s',
    '-s',
    join(REPO_ROOT, 'bench/wrk/post.lua'),
    url,
  ];
  const env = { ...process.env, BENCH_BODY: BODY, BENCH_HEADERS: `Authorization: Bearer ${token}` };
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { env, timeout: (seconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk failed: ${stderr.trim() || error.message}`));
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (!line) return reject(new Error(`wrk printed no results: ${stdout.trim()}`));
      const r = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
      const errors = ['errors_connect', 'errors_read', 'errors_write', 'errors_status', 'errors_timeout'].reduce(
        (s, k) => s + (r[k] ?? 0),
        0,
      );
      resolve({
        requests: r.requests ?? 0,
        rps: ((r.requests ?? 0) / (r.duration_us ?? 1)) * 1e6,
        p50Ms: (r.p50_us ?? NaN) / 1000,
        p99Ms: (r.p99_us ?? NaN) / 1000,
        errors,
      });
    });
  });
}

async function withNginx<T>(
  work: string,
  nodes: SwarmNode[],
  body: (url: string, pid: number) => Promise<T>,
): Promise<T> {
  const dir = join(work, `nginx-${nodes.length}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    nginxConfig(
      dir,
      port,
      nodes.map((n) => n.ip),
    ),
  );
  const proc: Proc = startProcess(
    'nginx',
    ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')],
    join(dir, 'stdout.log'),
  );
  try {
    await waitHttp(`http://127.0.0.1:${port}/ping`, {
      timeoutMs: 10_000,
      isAlive: () => proc.child.exitCode === null,
      accept: (s) => s === 200,
    });
    return await body(`http://127.0.0.1:${port}/v1/chat/completions`, proc.pid);
  } finally {
    await proc.stop();
  }
}

export function formatTable(results: LoadResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.nodes} | ${r.round} | ${Math.round(r.rps).toLocaleString('en-US')} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.requests.toLocaleString('en-US')} | ${r.errors} | ${r.taskCores.map((c) => c.toFixed(2)).join(', ')} | ${r.nginxCores.toFixed(2)} | ${r.hostCores.toFixed(2)} |`,
  );
  const mean = (n: number) => {
    const list = results.filter((r) => r.nodes === n);
    return list.reduce((s, r) => s + r.rps, 0) / (list.length || 1);
  };
  return [
    '| nodes behind nginx | round | requests/s | p50 ms | p99 ms | requests | errors | CPU of each task (cores) | nginx CPU | machine busy (cores) |',
    '|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
    ...rows,
    '',
    `Mean requests/s: 1 node ${Math.round(mean(1)).toLocaleString('en-US')}, 3 nodes ${Math.round(mean(3)).toLocaleString('en-US')} (ratio ${(mean(3) / mean(1)).toFixed(2)}).`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '15' },
      connections: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '2' },
    },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  for (const tool of ['docker', 'wrk', 'nginx'])
    if (!(await hasCommand(tool)))
      throw new Error(`${tool} is missing: run sh bench/setup.sh (and start a Docker engine)`);
  const release = currentRelease();
  const missing = missingArtifacts(release);
  if (missing.length)
    throw new Error(`release artifacts missing (${missing.join(', ')}): run npm run release or set VPS_RELEASE_DIR`);
  const version = await releaseVersion(release);
  await removeStale();
  await ensureImages([recipe('bookworm')], 1, (l) => log(l));
  const work = mkdtempSync(join(tmpdir(), 'aip-bench-swarm-'));
  chmodSync(work, 0o755);
  const started = Date.now();
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  log('starting 3 VPSes');
  const cluster = await SwarmVpses.start(3, 'bench', 'bookworm');
  const results: LoadResult[] = [];
  let quotas: string[] = [];
  try {
    await cluster.manager.session.upload(release);
    if (!(await installerHasSwarm(cluster.manager)))
      throw new Error(
        'this release has no --swarm (installer.sh --help does not list it): rebuild it (npm run release)',
      );
    log(`deploying ${version} with installer.sh --swarm init, then --swarm join on the others`);
    const token = await deployByInstaller(cluster, release);
    log(`swarm ready after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    for (let round = 1; round <= rounds; round++) {
      for (const n of [1, 3]) {
        const nodes = cluster.nodes.slice(0, n);
        const r = await withNginx(work, nodes, async (url, nginxPid) => {
          await wrk(url, token, connections, 3).catch(() => undefined); // warm-up, not recorded
          await sleep(500);
          const before = await Promise.all(nodes.map(taskCpu));
          const [host0, nginx0, t0] = [hostJiffies(), cpuMicros([nginxPid]), process.hrtime.bigint()];
          const load = await wrk(url, token, connections, seconds);
          const [host1, nginx1, wallNs] = [hostJiffies(), cpuMicros([nginxPid]), Number(process.hrtime.bigint() - t0)];
          const after = await Promise.all(nodes.map(taskCpu));
          quotas = after.map((c) => c.quota);
          return {
            ...load,
            taskCores: after.map((c, i) => (c.usageNs - (before[i]?.usageNs ?? NaN)) / wallNs),
            nginxCores: ((nginx1 - nginx0) * 1000) / wallNs,
            hostCores: ((host1.busy - host0.busy) / (host1.total - host0.total)) * cpus().length,
          };
        });
        results.push({ nodes: n, round, ...r });
        log(
          `round ${round}, ${n} node(s): ${Math.round(r.rps)} req/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ${r.errors} errors, task CPU ${r.taskCores.map((c) => c.toFixed(2)).join(' ')}, nginx ${r.nginxCores.toFixed(2)}, machine ${r.hostCores.toFixed(2)}`,
        );
      }
    }
  } finally {
    await cluster.remove();
    rmSync(work, { recursive: true, force: true });
  }
  const cpu = cpus();
  console.log(
    `Swarm benchmark, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ai-proxy ${version}, service deployed by installer.sh --swarm init / join`,
  );
  console.log(
    `Machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, Linux ${kernel()}, load average at the start ${loadAtStart}, at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `Load: wrk 1 thread, ${connections} connections, ${seconds} s per run after a 3 s warm-up, authenticated echo chat completions through nginx (1 worker, round-robin, keepalive 128)\n`,
  );
  console.log(`Each task's cgroup CPU quota (cfs_quota_us/cfs_period_us): ${quotas.join(', ')}\n`);
  console.log(formatTable(results));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench/swarm.ts: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
