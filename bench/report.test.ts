import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions } from './lib/options.ts';
import { renderReport, type RunResult, type TargetResult } from './report.ts';

const parsed = parseOptions([]);
if (parsed === 'help') throw new Error('unexpected help');
const options = parsed;

function run(targets: TargetResult[]): RunResult {
  return {
    startedAt: '2026-11-23T20:00:00.000Z',
    machine: { nproc: 2, cpuModel: 'test', kernel: '6', memoryGiB: 1, loadAvgAtStart: '0', commit: 'abc', node24: 'v24' },
    options,
    targets,
  };
}

const rate = (p50Us: number, p99Us: number) => ({ requests: 10_000, achievedRps: 1000, p50Us, p99Us, p999Us: p99Us, errors: 0 });

test('added latency is the target minus direct, and the goals say met or missed', () => {
  const report = renderReport(
    run([
      { name: 'direct', describe: '', notes: [], errors: {}, rate: rate(300, 1000) },
      { name: 'ai-proxy', describe: '', notes: [], errors: {}, idleRss: 50e6, rate: rate(700, 4000) },
    ]),
  );
  assert.match(report, /\| ai-proxy \| 1,000 +\| 0\.70 +\| 4\.00 +\| 4\.00 +\| \+0\.40 +\| \+3\.00 /);
  assert.match(report, /added p50 at 1,000 req\/s <= 0\.5 ms +\| \+0\.40 ms .*\| met/);
  assert.match(report, /added p99 at 1,000 req\/s <= 2 ms +\| \+3\.00 ms +\| \*\*missed\*\*/);
  assert.match(report, /ai-proxy: idle RSS <= 60 MB +\| 50\.0 MB +\| met/);
});

test('a target that stopped taking streams misses the 5,000-streams goal', () => {
  const report = renderReport(
    run([
      {
        name: 'ai-proxy',
        describe: '',
        notes: [],
        errors: {},
        open: { steps: [{ step: 1000, open: 256, failed: 144, rssBytes: 100 * 1024 * 1024 }], bytesPerStream: NaN, problem: 'stopped taking new streams at 256 open' },
      },
    ]),
  );
  assert.match(report, /5,000 open streams inside 512 MiB +\| stopped taking new streams at 256 open \(100\.0 MiB\) \| \*\*missed\*\*/);
});

test('a target that could not run says why instead of numbers', () => {
  const report = renderReport(run([{ name: 'portkey', describe: '', notes: [], errors: {}, skipped: 'not installed (run bench/setup.sh)' }]));
  assert.match(report, /\| portkey +\| skipped: not installed \(run bench\/setup\.sh\)/);
});
