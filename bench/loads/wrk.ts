// Non-streaming chat completions through wrk and bench/wrk/post.lua, which prints p50..p99.9 in
// microseconds as one JSON line. Two shapes of load:
// - fixed concurrency: N connections, each sending its next request as soon as an answer is in;
// - paced: a schedule of `rate` requests/s, `burst` of them at once (1: evenly spaced), over
//   enough connections that an answer is always in before its connection's next slot.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { RunningTarget } from '../targets/types.ts';
import { CHAT_BODY } from './request.ts';

export interface WrkResult {
  requests: number;
  /** Requests per second achieved (below the pace's rate when the target cannot keep up). */
  rps: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  errors: number;
}

export interface WrkLoad {
  connections: number;
  seconds: number;
  pace?: { rate: number; burst: number };
  /** A file of bearer tokens, one per line, used in turn (the client-keys benchmark). */
  tokensFile?: string;
}

export function runWrk(repoRoot: string, target: RunningTarget, load: WrkLoad): Promise<WrkResult> {
  const headers = Object.entries(target.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  const args = [
    '-t1',
    `-c${load.connections}`,
    `-d${load.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    join(repoRoot, 'bench/wrk/post.lua'),
    target.url,
  ];
  const pace = load.pace ? { BENCH_RATE: String(load.pace.rate), BENCH_BURST: String(load.pace.burst) } : {};
  const tokens = load.tokensFile ? { BENCH_TOKENS_FILE: load.tokensFile } : {};
  const env = { ...process.env, BENCH_BODY: CHAT_BODY, BENCH_HEADERS: headers, ...pace, ...tokens };
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { env, timeout: (load.seconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk failed: ${stderr.trim() || error.message}`));
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (!line) return reject(new Error(`wrk printed no results: ${stdout.trim()}`));
      const r = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
      const errors =
        (r.errors_connect ?? 0) +
        (r.errors_read ?? 0) +
        (r.errors_write ?? 0) +
        (r.errors_status ?? 0) +
        (r.errors_timeout ?? 0);
      resolve({
        requests: r.requests ?? 0,
        rps: ((r.requests ?? 0) / (r.duration_us ?? 1)) * 1e6,
        p50Us: r.p50_us ?? NaN,
        p99Us: r.p99_us ?? NaN,
        p999Us: r.p999_us ?? NaN,
        maxUs: r.max_us ?? NaN,
        errors,
      });
    });
  });
}
