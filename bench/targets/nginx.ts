// nginx from Debian as a plain reverse proxy (bench/nginx.conf.template), unprivileged paths in
// the run's work folder, `daemon off;` so it stays our child.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, startProcess, waitHttp } from '../lib/proc.ts';
import { freePort, TargetUnavailable, type Target } from './types.ts';

export const nginx: Target = {
  name: 'nginx',
  describe: 'nginx (Debian), 1 worker, upstream keepalive pool, proxy_buffering off',
  async start(ctx) {
    if (!(await hasCommand('nginx'))) throw new TargetUnavailable('nginx is not installed (run bench/setup.sh)');
    const dir = join(ctx.workDir, 'nginx');
    mkdirSync(dir, { recursive: true });
    // nginx's workers run as nobody when the master is root: they must reach the temp paths.
    chmodSync(ctx.workDir, 0o755);
    chmodSync(dir, 0o755);
    const port = await freePort();
    const template = readFileSync(join(ctx.repoRoot, 'bench/nginx.conf.template'), 'utf8');
    const config = template
      .replaceAll('{{DIR}}', dir)
      .replaceAll('{{PORT}}', String(port))
      .replaceAll('{{UPSTREAM_PORT}}', String(ctx.upstreamPort));
    writeFileSync(join(dir, 'nginx.conf'), config);
    const started = performance.now();
    const proc = startProcess(
      'nginx',
      ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')],
      join(dir, 'stdout.log'),
    );
    // The mock upstream answers a GET with 404: seeing it through nginx means nginx is up.
    await waitHttp(`http://127.0.0.1:${port}/`, {
      timeoutMs: 10_000,
      isAlive: () => proc.child.exitCode === null,
      accept: (s) => s === 404,
    });
    const startMs = performance.now() - started;
    return {
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: { Authorization: 'Bearer sk-bench-upstream' },
      pids: () => [proc.pid],
      startMs,
      notes: [],
      stop: () => proc.stop(),
    };
  },
};
