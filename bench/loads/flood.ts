// Hostile traffic through wrk and bench/wrk/flood.lua: one kind of flood at a fixed rate, meant
// to run beside the legitimate load of wrk.ts (bench/flood.ts runs both at once).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { RunningTarget } from '../targets/types.ts';

export const FLOOD_KINDS = ['paths', 'token', 'headers', 'objects'] as const;
export type FloodKind = (typeof FLOOD_KINDS)[number];

/** What each flood sends, for the tables. */
export const FLOOD_DESCRIPTIONS: Record<FloodKind, string> = {
  paths: 'GET /v1/<n><15 KB>, no token (a new path every request)',
  token: 'POST with a wrong token and a 4 KB body',
  headers: 'GET with 64 KB of headers',
  objects: 'POST with the token, messages [{},{},...] of 1 MiB',
};

/** Floods that need the proxy's token: nginx has none, so it has no row for them. */
export const AUTHENTICATED_FLOODS: readonly FloodKind[] = ['objects'];

export interface FloodResult {
  requests: number;
  rps: number;
  /** Connection-level failures (refused, reset, timed out): answers with any status are not errors here. */
  failures: number;
}

export function runFlood(
  repoRoot: string,
  target: RunningTarget,
  kind: FloodKind,
  load: { rate: number; connections: number; seconds: number },
): Promise<FloodResult> {
  const headers = Object.entries(target.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  const origin = new URL(target.url).origin;
  const args = [
    '-t1',
    `-c${load.connections}`,
    `-d${load.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    join(repoRoot, 'bench/wrk/flood.lua'),
    `${origin}/`,
  ];
  const env = { ...process.env, BENCH_FLOOD: kind, BENCH_RATE: String(load.rate), BENCH_HEADERS: headers };
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { env, timeout: (load.seconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk (flood ${kind}) failed: ${stderr.trim() || error.message}`));
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (!line) return reject(new Error(`wrk (flood ${kind}) printed no results: ${stdout.trim()}`));
      const r = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
      resolve({
        requests: r.requests ?? 0,
        rps: ((r.requests ?? 0) / (r.duration_us ?? 1)) * 1e6,
        failures: (r.errors_connect ?? 0) + (r.errors_read ?? 0) + (r.errors_write ?? 0) + (r.errors_timeout ?? 0),
      });
    });
  });
}
