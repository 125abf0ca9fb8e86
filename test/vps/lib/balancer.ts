// A real load balancer in front of the swarm's nodes, as docs/scale-out.md tells an operator to
// put one: HAProxy (Debian's package) on this host, health-checking every node's
// `/health/ready` and sending clients only to the nodes that pass. Its checks are quick
// (`inter 1s fall 2 rise 2`: a node leaves after 2 s of 503s, within the service's DRAIN_DELAY).
// It never retries: `retries 0`, no `option redispatch`, no `retry-on`, so a refused connection
// or a cut request reaches the client and is counted. Real load balancers do retry a refused
// connect on another node (HAProxy's default `retries 3`, nginx's `proxy_next_upstream error`),
// which would hide exactly the failure the drain is there to prevent.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run.ts';
import { freePort } from '../../lib/free-port.ts';

export const CHECK = { interMs: 1000, fall: 2, rise: 2 } as const;

/** One backend server as HAProxy's `show stat` reports it. */
export interface ServerStat {
  name: string;
  status: string;
  /** how many times the checks took it out (UP to DOWN) */
  downs: number;
  /** requests it was sent */
  sessions: number;
}

export function haproxyConfig(listen: number, socket: string, servers: Array<{ ip: string; port: number }>): string {
  return [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    // a stream sends an event at least every few seconds; an idle client or server this long is gone
    '  timeout client 60s',
    '  timeout server 60s',
    '  retries 0',
    'frontend clients',
    `  bind 127.0.0.1:${listen}`,
    '  default_backend nodes',
    'backend nodes',
    '  balance roundrobin',
    '  option httpchk GET /health/ready',
    '  http-check expect status 200',
    `  default-server inter ${CHECK.interMs} fall ${CHECK.fall} rise ${CHECK.rise}`,
    ...servers.map((s, i) => `  server node${i + 1} ${s.ip}:${s.port} check`),
    '',
  ].join('\n');
}

/** Parses `show stat` CSV into the backend's servers. */
export function parseStat(csv: string): ServerStat[] {
  const lines = csv.split('\n').filter(Boolean);
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  const col = (name: string) => header.indexOf(name);
  return lines
    .slice(1)
    .map((l) => l.split(','))
    .filter((f) => f[col('pxname')] === 'nodes' && !['FRONTEND', 'BACKEND'].includes(f[col('svname')] ?? ''))
    .map((f) => ({
      name: f[col('svname')] ?? '',
      status: f[col('status')] ?? '',
      downs: Number(f[col('chkdown')] ?? 0),
      sessions: Number(f[col('stot')] ?? 0),
    }));
}

export class Balancer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly proc: ChildProcess,
    private readonly output: string[],
  ) {}

  /** HAProxy in the foreground (`-db`), in front of every node's published port. */
  static async start(servers: Array<{ ip: string; port: number }>): Promise<Balancer> {
    if ((await run('sh', ['-c', 'command -v haproxy'])).code !== 0)
      throw new Error('haproxy is missing: apt-get install haproxy (.ci/run installs it)');
    const dir = mkdtempSync(join(tmpdir(), 'aip-vps-haproxy-'));
    const port = await freePort();
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(config, haproxyConfig(port, join(dir, 'stats.sock'), servers));
    const proc = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const keep = (chunk: Buffer) => output.push(chunk.toString()) > 50 && output.shift();
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const lb = new Balancer(port, dir, proc, output);
    try {
      await lb.waitAllUp(servers.length, 30_000);
    } catch (error) {
      await lb.stop();
      throw error;
    }
    return lb;
  }

  /** `show stat` through the admin socket. */
  async servers(): Promise<ServerStat[]> {
    const text = await new Promise<string>((resolve, reject) => {
      const c = createConnection(join(this.dir, 'stats.sock'));
      let out = '';
      c.on('connect', () => c.end('show stat\n'));
      c.on('data', (d) => (out += d.toString()));
      c.on('end', () => resolve(out));
      c.on('error', reject);
    });
    return parseStat(text);
  }

  /** Until HAProxy's checks have put `count` servers in (UP). */
  async waitAllUp(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`haproxy exited ${this.proc.exitCode}: ${this.output.join('')}`);
      const list = await this.servers().catch((e: unknown) => String(e));
      if (typeof list !== 'string' && list.filter((s) => s.status === 'UP').length === count) return;
      last = typeof list === 'string' ? list : list.map((s) => `${s.name} ${s.status}`).join(', ');
      if (Date.now() > deadline) throw new Error(`the load balancer never had ${count} nodes UP: ${last}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** "node1 out 1x, 812 requests; ..." for the report's note column. */
export function describeServers(list: ServerStat[]): string {
  return list.map((s) => `${s.name} out ${s.downs}x, ${s.sessions} requests`).join('; ');
}
