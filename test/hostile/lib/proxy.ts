// One ai-proxy process under attack: the release executable with a config folder of its own
// (the built-in echo provider, as shipped, plus an optional upstream), its log volume counted
// as it is written, and its memory read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TOKEN = 'hostile-token-0123456789abcdef0123456789abcdef';
export const UPSTREAM_KEY = 'sk-hostile-upstream-key-0123456789';
export const MiB = 1024 * 1024;

export interface ProxyOptions {
  /** An OpenAI-compatible upstream served as model "up" (max_retries 0). */
  upstreamUrl?: string;
  /** Lines under `server:` in provider-config.yaml, e.g. "  write_timeout: 2". */
  server?: string[];
}

/** What the proxy wrote to stdout: the log, measured rather than kept whole. */
export interface LogVolume {
  lines: number;
  bytes: number;
  longestLine: number;
  /** The last lines (up to 200), for assertions and failure messages. */
  tail: string[];
}

export interface Proxy {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  log: LogVolume;
  alive(): boolean;
  /** VmRSS and VmHWM (the peak since start) in MiB. */
  memory(): { rssMiB: number; peakMiB: number };
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

function providerConfig(options: ProxyOptions): string {
  let yaml = 'providers:\n  - name: echo\n    type: echo\n    models: [echo]\n';
  if (options.upstreamUrl)
    yaml +=
      `  - name: up\n    type: openai-compatible\n    base_url: ${options.upstreamUrl}/v1\n` +
      '    api_key: ${OPENAI_API_KEY}\n    models: [up]\n    max_retries: 0\n    timeout: 30\n';
  if (options.server?.length) yaml += `server:\n${options.server.join('\n')}\n`;
  return yaml;
}

export async function startProxy(executable: string, options: ProxyOptions = {}): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), 'aip-hostile-'));
  writeFileSync(join(dir, '.env'), `AUTH_TOKEN=${TOKEN}\nLOG_LEVEL=info\nOPENAI_API_KEY=${UPSTREAM_KEY}\n`);
  writeFileSync(join(dir, 'provider-config.yaml'), providerConfig(options));
  const child = spawn(executable, ['serve', '--config-dir', dir, '--port', '0', '--host', '127.0.0.1'], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: LogVolume = { lines: 0, bytes: 0, longestLine: 0, tail: [] };
  let partial = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ai-proxy did not start: ${stderr}`)), 15_000);
    child.stdout!.on('data', (c: Buffer) => {
      log.bytes += c.length;
      const text = partial + c.toString();
      const lines = text.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        log.lines++;
        log.longestLine = Math.max(log.longestLine, line.length);
        log.tail.push(line.length > 4096 ? `${line.slice(0, 4096)}...` : line);
        if (log.tail.length > 200) log.tail.shift();
        const m = /"msg":"listening".*?"port":(\d+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      }
      log.longestLine = Math.max(log.longestLine, partial.length);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`ai-proxy exited before listening: ${stderr}${log.tail.join('\n')}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const pid = child.pid!;
  return {
    url,
    port,
    pid,
    child,
    log,
    alive: () => child.exitCode === null && child.signalCode === null,
    memory: () => memoryOf(pid),
    async metrics() {
      const r = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
      return r.text();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
