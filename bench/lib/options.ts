// Command-line options of `npm run bench`.
import { parseArgs } from 'node:util';

export const TARGET_NAMES = ['direct', 'nginx', 'node-floor', 'ai-proxy', 'ai-proxy-container', 'portkey'] as const;
export const LOAD_NAMES = ['concurrency', 'rate', 'stream', 'open-streams', 'startup'] as const;
export type LoadName = (typeof LOAD_NAMES)[number];

export interface BenchOptions {
  targets: string[];
  loads: LoadName[];
  seconds: number;
  warmupSeconds: number;
  connections: number;
  rate: number;
  /** Requests sent at once in the bursty variant of the fixed-rate load. */
  burst: number;
  streamConcurrency: number;
  openSteps: number[];
  proxyBin?: string;
  /** The release archive the container and start-up figures use. */
  archive: string;
  outDir: string;
  /** Replace the generated section of BENCHMARKS.md with this run's report. */
  writeBenchmarks: boolean;
  /** Render a saved results JSON instead of running. */
  reportFile?: string;
  /** Profile the ai-proxy process (--cpu-prof) and summarise the profile. */
  profile: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

  --targets LIST        ${TARGET_NAMES.join(',')} (default: all)
  --loads LIST          ${LOAD_NAMES.join(',')} (default: all)
  --duration S          seconds measured per load and target (default 10)
  --warmup S            seconds of unrecorded load before measuring (default 3)
  --connections N       wrk connections for the fixed-concurrency load (default 50)
  --rate N              requests/s for the fixed-rate load (default 1000): evenly spaced, then
  --burst N             in bursts of N at once (default 10)
  --stream-concurrency N  concurrent streams in the streaming latency load (default 20)
  --open-streams LIST   steps of concurrently open streams (default 1000,2500,5000)
  --proxy-bin PATH      run this ai-proxy executable instead of bundling src/
  --archive PATH        release archive for the container and start-up figures
                        (default pkg/ai-proxy-release.tar.gz)
  --quick               --duration 3 --warmup 1 --open-streams 1000
  --out DIR             where results go (default bench/results)
  --write-benchmarks    put this run's tables into BENCHMARKS.md (between its bench:results markers)
  --report FILE         render a saved bench/results/*.json again instead of running
  --profile             run the ai-proxy process with --cpu-prof and print where its time goes
                        (profiles in bench/results/profiles/; best with --targets ai-proxy)

Needs wrk and nginx (bench/setup.sh installs them and the Portkey peer).`;

function list(value: string, allowed: readonly string[], flag: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item)) throw new Error(`${flag}: unknown "${item}" (choose from ${allowed.join(', ')})`);
  }
  return items;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number, got "${value}"`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      targets: { type: 'string' },
      loads: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      'stream-concurrency': { type: 'string' },
      'open-streams': { type: 'string' },
      'proxy-bin': { type: 'string' },
      archive: { type: 'string', default: 'pkg/ai-proxy-release.tar.gz' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results' },
      'write-benchmarks': { type: 'boolean', default: false },
      report: { type: 'string' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick;
  const steps = values['open-streams'] ?? (quick ? '1000' : '1000,2500,5000');
  return {
    targets: values.targets ? list(values.targets, TARGET_NAMES, '--targets') : [...TARGET_NAMES],
    loads: (values.loads ? list(values.loads, LOAD_NAMES, '--loads') : [...LOAD_NAMES]) as LoadName[],
    seconds: positive(values.duration ?? (quick ? '3' : '10'), '--duration'),
    warmupSeconds: positive(values.warmup ?? (quick ? '1' : '3'), '--warmup'),
    connections: positive(values.connections ?? '50', '--connections'),
    rate: positive(values.rate ?? '1000', '--rate'),
    burst: positive(values.burst ?? '10', '--burst'),
    streamConcurrency: positive(values['stream-concurrency'] ?? '20', '--stream-concurrency'),
    openSteps: steps.split(',').map((s) => positive(s, '--open-streams')),
    ...(values['proxy-bin'] ? { proxyBin: values['proxy-bin'] } : {}),
    archive: values.archive,
    outDir: values.out,
    writeBenchmarks: values['write-benchmarks'],
    profile: values.profile,
    ...(values.report ? { reportFile: values.report } : {}),
  };
}
