// Non-streaming chat completions at a fixed request rate: hey with W workers each held to
// rate/W requests per second, per-request times dumped as CSV (0.1 ms resolution).
// A worker waits for its answer before the next tick, so a target slower than the rate
// shows as an achieved rate below the goal, not as queueing inside the generator.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, sortedCopy } from '../lib/stats.ts';
import type { RunningTarget } from '../targets/types.ts';
import { CHAT_BODY } from './request.ts';

export interface RateResult {
  requests: number;
  achievedRps: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  errors: number;
}

export function runHey(workDir: string, target: RunningTarget, rate: number, seconds: number, workers = 10): Promise<RateResult> {
  const bodyFile = join(workDir, 'chat-body.json');
  writeFileSync(bodyFile, CHAT_BODY);
  const args = ['-z', `${seconds}s`, '-c', String(workers), '-q', String(rate / workers), '-m', 'POST', '-D', bodyFile, '-T', 'application/json', '-o', 'csv'];
  for (const [name, value] of Object.entries(target.headers)) args.push('-H', `${name}: ${value}`);
  args.push(target.url);
  return new Promise((resolve, reject) => {
    execFile('hey', args, { maxBuffer: 256 * 1024 * 1024, timeout: (seconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`hey failed: ${stderr.trim() || error.message}`));
      const times: number[] = [];
      let errors = 0;
      for (const line of stdout.split('\n').slice(1)) {
        const cells = line.split(',');
        if (cells.length < 8) continue;
        if (cells[6] !== '200') errors += 1;
        else times.push(Number(cells[0]) * 1e6);
      }
      const sorted = sortedCopy(times);
      resolve({
        requests: times.length + errors,
        achievedRps: (times.length + errors) / seconds,
        p50Us: percentile(sorted, 50),
        p99Us: percentile(sorted, 99),
        p999Us: percentile(sorted, 99.9),
        errors,
      });
    });
  });
}
