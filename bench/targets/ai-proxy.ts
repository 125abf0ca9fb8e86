// ai-proxy as a process: the release bundle of the current src/ on Node 24 (running from source
// through tsx is not what users run), or an executable given with --proxy-bin.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitHttp } from '../lib/proc.ts';
import { PROXY_MODEL, proxyHeaders, writeProxyConfig } from './ai-proxy-config.ts';
import { freePort, TargetUnavailable, type BenchContext, type Target } from './types.ts';

let bundled: Promise<string> | undefined;

/** Bundles src/main.ts with scripts/release/bundle.mjs (main script + installer.cjs), once per run. */
export function bundleProxy(ctx: BenchContext): Promise<string> {
  bundled ??= (async () => {
    if (!existsSync(join(ctx.repoRoot, 'src/main.ts'))) throw new TargetUnavailable('src/main.ts is missing');
    const outfile = join(ctx.repoRoot, 'bench/.peers/ai-proxy.cjs');
    mkdirSync(join(ctx.repoRoot, 'bench/.peers'), { recursive: true });
    const pkg = JSON.parse(readFileSync(join(ctx.repoRoot, 'package.json'), 'utf8')) as { version: string };
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ctx.repoRoot,
      encoding: 'utf8',
    }).trim();
    const node = execFileSync(ctx.node24, ['--version'], { encoding: 'utf8' }).trim();
    try {
      execFileSync(process.execPath, ['scripts/release/bundle.mjs', outfile, pkg.version, `${commit}+bench`, node], {
        cwd: ctx.repoRoot,
        stdio: 'pipe',
      });
    } catch (error) {
      throw new TargetUnavailable(
        `scripts/release/bundle.mjs failed: ${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).split('\n')[0]}`,
      );
    }
    return outfile;
  })();
  return bundled;
}

/**
 * The Node options the release executable bakes in (scripts/release/sea-config.json), so the
 * bundle runs as the executable does; AIP_BENCH_PROXY_ARGV overrides them for A/B runs.
 */
export function proxyExecArgv(ctx: BenchContext): string[] {
  const override = process.env.AIP_BENCH_PROXY_ARGV;
  if (override !== undefined) return override.split(' ').filter(Boolean);
  return (
    JSON.parse(readFileSync(join(ctx.repoRoot, 'scripts/release/sea-config.json'), 'utf8')) as { execArgv: string[] }
  ).execArgv;
}

export const aiProxy: Target = {
  name: 'ai-proxy',
  describe: 'ai-proxy process: esbuild bundle of src/ on Node 24 (or --proxy-bin)',
  async start(ctx) {
    const dir = join(ctx.workDir, 'ai-proxy');
    const port = await freePort();
    writeProxyConfig(join(dir, 'config'), port, '127.0.0.1', ctx.upstreamPort);
    const profile = ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`] : [];
    const [command, args] = ctx.proxyBin
      ? [ctx.proxyBin, ['serve', '--config-dir', join(dir, 'config')]]
      : [
          ctx.node24,
          [...proxyExecArgv(ctx), ...profile, await bundleProxy(ctx), 'serve', '--config-dir', join(dir, 'config')],
        ];
    const started = performance.now();
    // Logs (one JSON line per request) go to a file, as they would to a log collector.
    const proc = startProcess(command, args, join(dir, 'stdout.log'), { ...process.env, NODE_ENV: 'production' });
    try {
      await waitHttp(`http://127.0.0.1:${port}/health/ready`, {
        timeoutMs: 15_000,
        isAlive: () => proc.child.exitCode === null,
      });
    } catch (error) {
      await proc.stop();
      throw new TargetUnavailable(`ai-proxy did not become ready: ${(error as Error).message} (log: ${proc.logFile})`);
    }
    const startMs = performance.now() - started;
    return {
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: proxyHeaders,
      pids: () => [proc.pid],
      startMs,
      notes: [
        ctx.proxyBin
          ? `executable ${ctx.proxyBin}`
          : `bundle of src/ on Node 24 ${proxyExecArgv(ctx).join(' ')}, model ${PROXY_MODEL}`,
        ...(ctx.profileDir && !ctx.proxyBin ? ['with --cpu-prof'] : []),
      ],
      stop: () => proc.stop(),
    };
  },
};
