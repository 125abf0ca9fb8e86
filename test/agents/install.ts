// The real coding-agent CLIs, installed on demand from npm into a git-ignored cache folder
// (test/agents/.cache/, ~800 MB with their native binaries): never devDependencies of the product.
// Installed once per machine and reused; a lock file keeps two test files (or two runs) from
// installing at the same time. Under REQUIRE_E2E=1 a failed install fails the run.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const CLAUDE_CODE_VERSION = '2.1.332';
export const CODEX_VERSION = '0.171.0';
export const CACHE_DIR = join(import.meta.dirname, '.cache');
const PACKAGES = { '@anthropic-ai/claude-code': CLAUDE_CODE_VERSION, '@openai/codex': CODEX_VERSION };

export interface AgentClis {
  claude: string;
  codex: string;
  /** Seconds the install took in this process, or 0 when the cache was already in place. */
  installSeconds: number;
}

const bin = (name: string) => join(CACHE_DIR, 'node_modules', '.bin', name);
const MARKER = join(CACHE_DIR, 'installed.json');
const LOCK = join(CACHE_DIR, 'install.lock');

function installed(): boolean {
  try {
    const m = JSON.parse(readFileSync(MARKER, 'utf8')) as Record<string, string>;
    return (
      Object.entries(PACKAGES).every(([name, version]) => m[name] === version) &&
      existsSync(bin('claude')) &&
      existsSync(bin('codex'))
    );
  } catch {
    return false;
  }
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-4000)));
    child.stderr.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${out}`)),
    );
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the lock file (waiting while a live process holds it); returns the release function. */
async function lock(): Promise<() => void> {
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(LOCK, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(LOCK, 'utf8').trim() || '0');
      // A holder that died (killed test run) leaves the file behind: take it over.
      if (holder > 0 && !pidAlive(holder)) rmSync(LOCK, { force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** npm as the test runner got it (npm test sets npm_execpath), else the one on PATH. */
function npmCommand(): { command: string; args: string[] } {
  const execpath = process.env.npm_execpath;
  return execpath?.endsWith('.js') || execpath?.endsWith('.cjs')
    ? { command: process.execPath, args: [execpath] }
    : { command: 'npm', args: [] };
}

/** Installs the CLIs unless the cache already holds these versions. */
export async function ensureAgentClis(): Promise<AgentClis> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const paths = { claude: bin('claude'), codex: bin('codex') };
  if (installed()) return { ...paths, installSeconds: 0 };
  const release = await lock();
  try {
    if (installed()) return { ...paths, installSeconds: 0 };
    const t0 = performance.now();
    writeFileSync(
      join(CACHE_DIR, 'package.json'),
      `${JSON.stringify({ name: 'ai-proxy-agent-clis', private: true, dependencies: PACKAGES }, null, 2)}\n`,
    );
    const npm = npmCommand();
    await run(npm.command, [...npm.args, 'install', '--no-audit', '--no-fund', '--no-package-lock'], CACHE_DIR);
    // npm here does not run install scripts it has not approved: without this, `claude` is a placeholder.
    await run(
      process.execPath,
      [join(CACHE_DIR, 'node_modules', '@anthropic-ai', 'claude-code', 'install.cjs')],
      join(CACHE_DIR, 'node_modules', '@anthropic-ai', 'claude-code'),
    );
    for (const p of Object.values(paths)) if (!existsSync(p)) throw new Error(`${p} is missing after the install`);
    writeFileSync(MARKER, `${JSON.stringify(PACKAGES)}\n`);
    return { ...paths, installSeconds: Math.round((performance.now() - t0) / 100) / 10 };
  } finally {
    release();
  }
}
