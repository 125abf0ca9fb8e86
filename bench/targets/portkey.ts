// The Portkey AI gateway from npm, installed into bench/.peers by bench/setup.sh (with
// @hono/node-server pinned to 1.13.5: the version its range resolves to does not start).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitHttp } from '../lib/proc.ts';
import { freePort, TargetUnavailable, type Target } from './types.ts';

export const portkey: Target = {
  name: 'portkey',
  describe: '@portkey-ai/gateway 1.15.2 on Node 24, --headless',
  async start(ctx) {
    const peers = join(ctx.repoRoot, 'bench/.peers');
    const entry = join(peers, 'node_modules/@portkey-ai/gateway/build/start-server.js');
    if (!existsSync(entry))
      throw new TargetUnavailable('@portkey-ai/gateway is not installed in bench/.peers (run bench/setup.sh)');
    const dir = join(ctx.workDir, 'portkey');
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const started = performance.now();
    const proc = startProcess(
      ctx.node24,
      [entry, '--headless', `--port=${port}`],
      join(dir, 'stdout.log'),
      process.env,
      peers,
    );
    await waitHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 30_000, isAlive: () => proc.child.exitCode === null });
    const startMs = performance.now() - started;
    return {
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: {
        Authorization: 'Bearer sk-bench-upstream',
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `http://127.0.0.1:${ctx.upstreamPort}/v1`,
      },
      pids: () => [proc.pid],
      startMs,
      notes: [],
      stop: () => proc.stop(),
    };
  },
};
