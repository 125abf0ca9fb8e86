// Streaming loads, both through bench/stream-client.ts in its own Node 24 process:
// latency (time to first SSE event, time between events) and open streams (RSS of the target
// with N concurrent SSE streams held open).
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { rssBytes, sleep } from '../lib/proc.ts';
import { percentile, sortedCopy } from '../lib/stats.ts';
import type { BenchContext, RunningTarget } from '../targets/types.ts';

export interface StreamLatencyResult {
  streams: number;
  /** Streams run including the unrecorded warm-up second (what the CPU time covers). */
  allStreams: number;
  failed: number;
  ttfbP50Us: number;
  ttfbP99Us: number;
  gapP50Us: number;
  gapP99Us: number;
  eventsPerStream: number;
}

export function runStreamLatency(
  ctx: BenchContext,
  target: RunningTarget,
  concurrency: number,
  seconds: number,
  /** More stream-client options (e.g. --body-file, --done-marker). */
  extraArgs: string[] = [],
): Promise<StreamLatencyResult> {
  const args = [
    join(ctx.repoRoot, 'bench/stream-client.ts'),
    '--url',
    target.url,
    '--headers',
    JSON.stringify(target.headers),
    '--concurrency',
    String(concurrency),
    '--duration-ms',
    String(seconds * 1000),
    '--warmup-ms',
    '1000',
    ...extraArgs,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      ctx.node24,
      args,
      { maxBuffer: 512 * 1024 * 1024, timeout: (seconds + 60) * 1000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`stream client failed: ${stderr.trim() || error.message}`));
        const r = JSON.parse(stdout) as {
          streams: number;
          all_streams: number;
          failed: number;
          events: number;
          ttfb_us: number[];
          gap_us: number[];
        };
        const ttfb = sortedCopy(r.ttfb_us);
        const gaps = sortedCopy(r.gap_us);
        const ok = r.streams - r.failed;
        resolve({
          streams: r.streams,
          allStreams: r.all_streams,
          failed: r.failed,
          ttfbP50Us: percentile(ttfb, 50),
          ttfbP99Us: percentile(ttfb, 99),
          gapP50Us: percentile(gaps, 50),
          gapP99Us: percentile(gaps, 99),
          eventsPerStream: ok > 0 ? r.events / ok : 0,
        });
      },
    );
  });
}

export interface OpenStreamsStep {
  step: number;
  open: number;
  failed: number;
  rssBytes: number;
}

export interface OpenStreamsResult {
  steps: OpenStreamsStep[];
  /** Marginal bytes per open stream (see runOpenStreams). */
  bytesPerStream: number;
  problem?: string;
}

/** Opens streams up to each step, lets the target settle, then reads its RSS. */
export async function runOpenStreams(
  ctx: BenchContext,
  target: RunningTarget,
  steps: number[],
  idleRss: number,
): Promise<OpenStreamsResult> {
  const child = spawn(
    ctx.node24,
    [
      join(ctx.repoRoot, 'bench/stream-client.ts'),
      '--hold',
      '--url',
      target.url,
      '--headers',
      JSON.stringify(target.headers),
      '--steps',
      steps.join(','),
      '--open-timeout-ms',
      '10000',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const results: OpenStreamsStep[] = [];
  let stalledAt: number | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      const next = await lines.next();
      if (next.done) break;
      const line = JSON.parse(next.value) as {
        step?: number;
        open: number;
        failed: number;
        stalled?: boolean;
        done?: boolean;
      };
      if (line.done) break;
      // Give the target a moment to finish allocating, then read RSS.
      await sleep(1000);
      results.push({ step: line.step ?? 0, open: line.open, failed: line.failed, rssBytes: rssBytes(target.pids()) });
      if (line.stalled) {
        stalledAt = line.open;
        break;
      }
      child.stdin.write('\n');
    }
  } finally {
    child.stdin.end();
    await Promise.race([exited, sleep(15_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const problem = await target.problem?.();
  // The marginal cost: the slope between the first and last step with every stream open (the
  // first step also carries one-off growth, such as the heap the ramp itself needs); with one
  // such step, its RSS over idle.
  const full = results.filter((r) => r.failed === 0 && r.open > 0);
  const first = full[0];
  const last = full.at(-1);
  let bytesPerStream = NaN;
  if (first && last && last.open > first.open)
    bytesPerStream = Math.max(0, last.rssBytes - first.rssBytes) / (last.open - first.open);
  else if (last) bytesPerStream = Math.max(0, last.rssBytes - idleRss) / last.open;
  const why = [problem, stalledAt === undefined ? undefined : `stopped taking new streams at ${stalledAt} open`]
    .filter(Boolean)
    .join('; ');
  return { steps: results, bytesPerStream, ...(why ? { problem: why } : {}) };
}
