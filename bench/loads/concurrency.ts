// Non-streaming chat completions at a fixed number of open connections: wrk with
// bench/wrk/post.lua, which prints p50..p99.9 in microseconds as one JSON line.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { RunningTarget } from '../targets/types.ts';
import { CHAT_BODY } from './request.ts';

export interface ConcurrencyResult {
  requests: number;
  rps: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  errors: number;
}

export function runWrk(repoRoot: string, target: RunningTarget, connections: number, seconds: number): Promise<ConcurrencyResult> {
  const headers = Object.entries(target.headers).map(([name, value]) => `${name}: ${value}`).join('\n');
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', join(repoRoot, 'bench/wrk/post.lua'), target.url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { env: { ...process.env, BENCH_BODY: CHAT_BODY, BENCH_HEADERS: headers }, timeout: (seconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk failed: ${stderr.trim() || error.message}`));
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (!line) return reject(new Error(`wrk printed no results: ${stdout.trim()}`));
      const r = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
      const errors = (r.errors_connect ?? 0) + (r.errors_read ?? 0) + (r.errors_write ?? 0) + (r.errors_status ?? 0) + (r.errors_timeout ?? 0);
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
