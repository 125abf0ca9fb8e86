// The ai-proxy configuration every ai-proxy target runs with: one openai-compatible provider on
// the mock upstream, default settings otherwise (retries, stream usage, LOG_LEVEL=info: what a
// user runs).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_AUTH_TOKEN } from './types.ts';

export const PROXY_MODEL = 'gpt-4o-mini';

/** Writes `.env` and `provider-config.yaml` into `dir`, world-readable for the container's user 1001. */
export function writeProxyConfig(dir: string, port: number, upstreamHost: string, upstreamPort: number): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(
    join(dir, '.env'),
    `PORT=${port}\nAUTH_TOKEN=${BENCH_AUTH_TOKEN}\nLOG_LEVEL=info\nBENCH_UPSTREAM_KEY=sk-bench-upstream\n`,
    { mode: 0o644 },
  );
  writeFileSync(
    join(dir, 'provider-config.yaml'),
    [
      'providers:',
      '  - name: mock',
      '    type: openai-compatible',
      `    base_url: http://${upstreamHost}:${upstreamPort}/v1`,
      '    api_key: ${BENCH_UPSTREAM_KEY}',
      `    models: [${PROXY_MODEL}]`,
      'routes:',
      `  ${PROXY_MODEL}: [mock/${PROXY_MODEL}]`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
}

export const proxyHeaders = { Authorization: `Bearer ${BENCH_AUTH_TOKEN}` };
