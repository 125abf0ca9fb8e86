// The least a Node proxy does (bench/forwarder.ts) on Node 24: the floor for a proxy in Node,
// between nginx and ai-proxy.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { startWithPortLine } from '../lib/proc.ts';
import { proxyHeaders } from './ai-proxy-config.ts';
import type { Target } from './types.ts';

export const nodeFloor: Target = {
  name: 'node-floor',
  describe: 'bench/forwarder.ts: node:http + undici Pool, bearer check, bodies piped, nothing else',
  async start(ctx) {
    // Bundled like ai-proxy: Node's own type stripping would load its TypeScript parser and
    // inflate this floor's memory by tens of MB.
    const outfile = join(ctx.repoRoot, 'bench/.peers/forwarder.cjs');
    mkdirSync(join(ctx.repoRoot, 'bench/.peers'), { recursive: true });
    await build({
      entryPoints: [join(ctx.repoRoot, 'bench/forwarder.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      logLevel: 'silent',
    });
    const started = performance.now();
    const { proc, port } = await startWithPortLine(
      ctx.node24,
      [outfile, '--upstream', `http://127.0.0.1:${ctx.upstreamPort}`],
      join(ctx.workDir, 'node-floor.log'),
    );
    return {
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: proxyHeaders,
      pids: () => [proc.pid],
      startMs: performance.now() - started,
      notes: [],
      stop: () => proc.stop(),
    };
  },
};
