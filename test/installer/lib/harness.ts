// Runs the real installer against the real local engine with its own names and folders
// (prefix aip-inst-), so tests never touch /srv/ai-proxy, /tmp/ai-proxy or the `ai-proxy`
// container of anyone else on this shared engine.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { contextFor, type InstallContext } from '../../../installer/context.ts';
import { runInstaller } from '../../../installer/cli.ts';
import { InstallError } from '../../../installer/command/errors.ts';
import { defaultsPrompter, type Prompter } from '../../../installer/command/prompts.ts';
import type { Summary } from '../../../installer/command/summary.ts';
import { freePort as freePortOn } from '../../lib/free-port.ts';

// installer.sh runs the installer under umask 077: so do the tests, or a mode the image's
// user needs could depend on the caller's umask and pass here but fail on a VPS.
process.umask(0o077);

export const RELEASE_ARCHIVE = resolve(process.env.AI_PROXY_TEST_ARCHIVE ?? 'pkg/ai-proxy-release.tar.gz');

/** Why the suite cannot run here, or undefined. With REQUIRE_E2E=1 a reason is a failure. */
export function skipReason(): string | undefined {
  let reason: string | undefined;
  if (!existsSync(RELEASE_ARCHIVE)) reason = `${RELEASE_ARCHIVE} is missing (run npm run release first)`;
  else if (process.getuid?.() !== 0)
    reason = 'the installer tests run as root (they chown to 1001 and talk to the engine)';
  else {
    try {
      execFileSync('docker', ['version', '--format', '{{.Server.APIVersion}}'], { stdio: 'pipe' });
    } catch {
      reason = 'no Docker engine answers on this machine';
    }
  }
  if (reason && process.env.REQUIRE_E2E === '1') throw new Error(`REQUIRE_E2E=1 but ${reason}`);
  return reason;
}

export interface TestInstall {
  ctx: InstallContext;
  root: string;
  name: string;
  cleanup(): void;
}

/**
 * A copy of this host's account files: the installer reserves the container's gid as a group
 * there (groupadd --prefix), so parallel tests never race on, or leave a group in, /etc/group.
 */
export function hostAccounts(root: string): string {
  mkdirSync(join(root, 'etc'), { recursive: true });
  for (const file of ['group', 'passwd', 'gshadow']) {
    if (existsSync(join('/etc', file))) copyFileSync(join('/etc', file), join(root, 'etc', file));
  }
  return root;
}

export function newInstall(): TestInstall {
  const root = mkdtempSync(join(tmpdir(), 'aip-inst-'));
  const name = `aip-inst-${randomBytes(4).toString('hex')}`;
  const ctx = contextFor(name, {
    workDir: join(root, 'work'),
    configDir: join(root, 'srv'),
    logFile: join(root, 'installer.log'),
    lockFile: join(root, 'installer.lock'),
    hostRoot: hostAccounts(join(root, 'host')),
  });
  return {
    ctx,
    root,
    name,
    cleanup() {
      const draining = docker(['ps', '-aq', '--filter', `name=^${name}-draining-`], true)
        .split('\n')
        .filter(Boolean);
      for (const container of [name, `${name}-previous`, `${name}-next`, ...draining])
        docker(['rm', '-f', container], true);
      for (const container of [`${name}-holder`, `${name}-holder-previous`]) docker(['rm', '-f', container], true);
      const images = docker(['images', '--filter', `label=io.ai-proxy.repo=${name}`, '-q'], true)
        .split('\n')
        .filter(Boolean);
      const tagged = docker(['images', name, '--format', '{{.Repository}}:{{.Tag}}'], true).split('\n').filter(Boolean);
      if (tagged.length) docker(['rmi', '-f', ...tagged], true);
      if (images.length) docker(['rmi', '-f', ...new Set(images)], true);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number;
  summary?: Summary;
  error?: InstallError;
  stdout: string;
  stderr: string;
}

/** A terminal stand-in that answers the installer's questions from a script, in order. */
export function scriptedPrompter(answers: string[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    interactive: true,
    asked,
    text: async (message) => {
      asked.push(message);
      return answers.shift() ?? '';
    },
    confirm: async (message) => {
      asked.push(message);
      return (answers.shift() ?? 'y') === 'y';
    },
  };
}

export async function install(
  ctx: InstallContext,
  argv: string[],
  prompter: Prompter = defaultsPrompter(),
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { isTTY: false, write: (text: string) => void (stdout += text) },
    stderr: { isTTY: false, write: (text: string) => void (stderr += text) },
    prompter,
  };
  try {
    const summary = await runInstaller(argv, ctx, io);
    return { code: 0, summary, stdout, stderr };
  } catch (error) {
    if (!(error instanceof InstallError)) throw error;
    return { code: error.exitCode, error, stdout, stderr };
  }
}

export function docker(args: string[], ignoreErrors = false): string {
  try {
    return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    if (ignoreErrors) return '';
    throw error;
  }
}

export function inspect(name: string): any {
  return JSON.parse(docker(['inspect', name]))[0];
}

export function exists(name: string): boolean {
  return docker(['inspect', '--format', '{{.Id}}', name], true) !== '';
}

/** A port free on every address: the installer publishes on 0.0.0.0. */
export const freePort = (): Promise<number> => freePortOn('0.0.0.0');

export async function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: body ? 'POST' : 'GET',
    headers,
    ...(body ? { body } : {}),
    signal: AbortSignal.timeout(5000),
  });
  return { status: response.status, text: await response.text() };
}

export function tokenOf(ctx: InstallContext): string {
  const match = /^AUTH_TOKEN=(.*)$/m.exec(readFileSync(join(ctx.paths.configDir, '.env'), 'utf8'));
  return match?.[1]?.trim() ?? '';
}
