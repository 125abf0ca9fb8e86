// Starts the real proxy for integration tests: in-process on 127.0.0.1:0 (fast, logs captured),
// or as a child process when signals are the point of the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { ProxyServer } from '../../src/http/server.ts';
import { Logger } from '../../src/observability/logger.ts';

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

export interface RunningProxy {
  url: string;
  proxy: ProxyServer;
  /** The config folder (.env, provider-config.yaml), e.g. to change it before a reload; DATA_DIR=data puts the key store in it. */
  dir: string;
  logs: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  /** More .env lines (DATA_DIR=data turns client keys and the ledger on). */
  env?: string;
  /** The gateway's clock (budget periods, key expiry). */
  clock?: () => number;
}

export async function startProxy(yaml: string, options: StartOptions = {}): Promise<RunningProxy> {
  const dir = writeConfigDir(yaml, options.env);
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

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');

/** Runs `ai-proxy serve` as a child (tsx) and waits for its "listening" log line. */
export function startProxyProcess(dir: string, extraArgs: string[] = []): Promise<ProxyProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--config-dir', dir, '--port', '0', '--host', '127.0.0.1', ...extraArgs],
    {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
