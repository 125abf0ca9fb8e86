// Starts the real proxy for integration tests: in-process on 127.0.0.1:0 (fast, logs captured),
// or as a child process when signals are the point of the test. With PROXY_TARGET=executable
// (target.ts) both are the release executable instead, as a child process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { ProxyServer } from '../../src/http/server.ts';
import { Logger } from '../../src/observability/logger.ts';
import { proxyCommand, proxyTarget } from './target.ts';

export const TOKEN = 'test-token-0123456789abcdef0123456789abcdef';
export const OPENAI_KEY = 'sk-upstream-openai-secret-key-1234567890';
export const ANTHROPIC_KEY = 'sk-ant-upstream-secret-key-0987654321';

export function writeConfigDir(yaml: string, extraEnv = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'aip-proxy-'));
  writeFileSync(
    join(dir, '.env'),
    `AUTH_TOKEN=${TOKEN}\nLOG_LEVEL=info\nOPENAI_API_KEY=${OPENAI_KEY}\nANTHROPIC_API_KEY=${ANTHROPIC_KEY}\n${extraEnv}`,
  );
  writeFileSync(join(dir, 'provider-config.yaml'), yaml);
  return dir;
}

export type LogLine = Record<string, unknown>;

export interface RunningProxy {
  url: string;
  /** The config folder (.env, provider-config.yaml), e.g. to change it before a reload; DATA_DIR=data puts the key store in it. */
  dir: string;
  /** Waits (up to 5 s) for the latest log line that `match` accepts. */
  logLine(match: (line: LogLine) => boolean): Promise<LogLine>;
  close(): Promise<void>;
}

/** A proxy in this test process: its server object and its log lines are at hand. */
export interface InProcessProxy extends RunningProxy {
  proxy: ProxyServer;
  logs: string[];
}

/** The last line `match` accepts, polling `lines()` (after `flush`) until one appears. */
async function waitForLine(
  lines: () => string[],
  match: (line: LogLine) => boolean,
  flush: () => void = () => {},
): Promise<LogLine> {
  const end = Date.now() + 5000;
  for (;;) {
    flush();
    const found = lines()
      .map((l) => JSON.parse(l) as LogLine)
      .filter(match)
      .at(-1);
    if (found) return found;
    if (Date.now() > end) throw new Error(`no matching log line in:\n${lines().join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The proxy for a suite: in this process from src/, or the release executable as a child. */
export async function startProxy(yaml: string): Promise<RunningProxy> {
  const dir = writeConfigDir(yaml);
  if (proxyTarget() === 'executable') {
    const px = await startProxyProcess(dir);
    return {
      url: px.url,
      dir,
      logLine: (match) => waitForLine(() => px.stdout().split('\n').filter(Boolean), match),
      close: async () => {
        if (px.child.exitCode === null) px.child.kill('SIGTERM');
        await px.exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  return inProcessProxy(dir);
}

export interface StartOptions {
  /** More .env lines (DATA_DIR=data turns client keys and the ledger on). */
  env?: string;
  /** The gateway's clock (budget periods, key expiry). */
  clock?: () => number;
}

/** The proxy from src/ in this process, whatever the target: for tests that look inside it. */
export function startInProcessProxy(yaml: string, options: StartOptions = {}): Promise<InProcessProxy> {
  return inProcessProxy(writeConfigDir(yaml, options.env), options);
}

async function inProcessProxy(dir: string, options: StartOptions = {}): Promise<InProcessProxy> {
  // The environment of the test runner must not leak into the config under test.
  const config = loadConfig(dir, {});
  const logs: string[] = [];
  const logger = new Logger('debug', { write: (s: string) => logs.push(...s.split('\n').filter(Boolean)) });
  const proxy = new ProxyServer(config, { logger });
  await proxy.startGateway(options.clock ? { clock: options.clock } : {});
  const addr = await proxy.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    proxy,
    dir,
    logs,
    logLine: (match) =>
      waitForLine(
        () => logs,
        match,
        () => logger.flush(),
      ),
    close: async () => {
      await proxy.shutdown(1000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ProxyProcess {
  url: string;
  child: ChildProcess;
  dir: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Runs `ai-proxy ARGS` to completion (subcommands), as the current target. */
export function runProxyCommand(args: string[], env: Record<string, string> = {}) {
  const { command, args: argv } = proxyCommand(args);
  return spawnSync(command, argv, { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 });
}

/** Runs `ai-proxy serve` as a child (tsx, or the executable) and waits for its "listening" log line. */
export function startProxyProcess(dir: string, extraArgs: string[] = []): Promise<ProxyProcess> {
  const { command, args } = proxyCommand([
    'serve',
    '--config-dir',
    dir,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    ...extraArgs,
  ]);
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start: ${err}`)), 15_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"msg":"listening".*?"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${m[1]}`, child, dir, stdout: () => out, stderr: () => err, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code}: ${err}`));
    });
  });
}

export function openaiProvider(name: string, url: string, extra = ''): string {
  return `  - name: ${name}\n    type: openai\n    base_url: ${url}/v1\n    api_key: \${OPENAI_API_KEY}\n${extra}`;
}

export function anthropicProvider(name: string, url: string, extra = ''): string {
  return `  - name: ${name}\n    type: anthropic\n    base_url: ${url}\n    api_key: \${ANTHROPIC_API_KEY}\n${extra}`;
}
