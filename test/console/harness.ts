// The release executable with the console on, for the browser and security suites: unpacked
// from pkg/, configured with a mock OpenAI upstream (test/mocks/) and an SQLite ledger in a temp
// folder, started with port 0 for both listeners (their ports are read from the log lines).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { run, unpack } from '../release/artifacts.ts';

export const TOKEN = 'console-e2e-token-0123456789abcdef0123456789';
export const MODEL = 'gpt-4o-mini';

export interface RunningExecutable {
  dir: string;
  exe: string;
  configDir: string;
  proxyUrl: string;
  consoleUrl: string;
  consolePort: number;
  proxyPort: number;
  mock: MockUpstream;
  /** The second provider's upstream: route "smart" falls back to it. */
  backup: MockUpstream;
  logs: () => string;
  /** `ai-proxy ARGS --config-dir ...` with the same configuration (the keys and usage commands). */
  cli: (...args: string[]) => { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export async function startExecutable(
  archive: string,
  options: { host?: string; env?: string } = {},
): Promise<RunningExecutable> {
  const dir = await unpack(archive, ['ai-proxy']);
  const exe = join(dir, 'ai-proxy');
  const configDir = join(dir, 'config');
  mkdirSync(configDir);
  const [mock, backup] = await Promise.all([
    startOpenAIMock({ host: '127.0.0.1' }),
    startOpenAIMock({ host: '127.0.0.1' }),
  ]);
  writeFileSync(
    join(configDir, '.env'),
    `AUTH_TOKEN=${TOKEN}\nOPENAI_API_KEY=sk-mock-upstream-key-0123456789\nDATA_DIR=data\nLOG_LEVEL=info\n${options.env ?? ''}`,
  );
  writeFileSync(
    join(configDir, 'provider-config.yaml'),
    [
      'providers:',
      '  - name: openai',
      '    type: openai',
      `    base_url: ${mock.url}/v1`,
      '    api_key: ${OPENAI_API_KEY}',
      `    models: [${MODEL}]`,
      '    max_retries: 0',
      '  - name: backup',
      '    type: openai',
      `    base_url: ${backup.url}/v1`,
      '    api_key: ${OPENAI_API_KEY}',
      `    models: [${MODEL}]`,
      'routes:',
      `  smart: [openai/${MODEL}, backup/${MODEL}]`,
      'prices:',
      `  ${MODEL}:`,
      '    input: 0.15',
      '    output: 0.60',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    exe,
    ['serve', '--config-dir', configDir, '--port', '0', '--host', options.host ?? '127.0.0.1', '--console-port', '0'],
    { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports = await new Promise<{ proxy: number; console: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the executable did not start:\n${out}`)), 20_000);
    const check = () => {
      const p = /"msg":"listening".*?"port":(\d+)/.exec(out);
      const c = /"msg":"console listening".*?"port":(\d+)/.exec(out);
      if (p && c) {
        clearTimeout(timer);
        resolve({ proxy: Number(p[1]), console: Number(c[1]) });
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`the executable exited:\n${out}`)));
  });
  return {
    dir,
    exe,
    configDir,
    proxyUrl: `http://127.0.0.1:${ports.proxy}`,
    consoleUrl: `http://127.0.0.1:${ports.console}`,
    consolePort: ports.console,
    proxyPort: ports.proxy,
    mock,
    backup,
    logs: () => out,
    cli: (...args) => run(exe, [...args, '--config-dir', configDir], { env: { PATH: process.env.PATH } }),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      await Promise.all([mock.close(), backup.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until check() returns a value (not undefined) or the time is up. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`);
}
