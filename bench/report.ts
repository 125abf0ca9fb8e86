// Turns one run's results into the markdown tables `npm run bench` prints and BENCHMARKS.md keeps.
import { readFileSync, writeFileSync } from 'node:fs';
import type { WrkResult } from './loads/wrk.ts';
import type { OpenStreamsResult, StreamLatencyResult } from './loads/streams.ts';
import type { BenchOptions } from './lib/options.ts';
import { deltaMs, int, mib, ms, ratio, table } from './lib/stats.ts';
import type { StartupResult } from './startup.ts';

export interface TargetResult {
  name: string;
  describe: string;
  skipped?: string;
  startMs?: number;
  idleRss?: number;
  loadRss?: number;
  notes: string[];
  errors: Record<string, string>;
  figures?: Record<string, number>;
  /** cpuUsPer: CPU microseconds of the target's processes per request (per stream). */
  concurrency?: WrkResult & { cpuUsPer?: number };
  /** The fixed rate, evenly spaced (the goals' measure) and in bursts. */
  rate?: WrkResult & { cpuUsPer?: number };
  burst?: WrkResult & { cpuUsPer?: number };
  stream?: StreamLatencyResult & { cpuUsPer?: number };
  open?: OpenStreamsResult;
}

export interface RunResult {
  startedAt: string;
  seconds?: number;
  machine: {
    nproc: number;
    cpuModel: string;
    kernel: string;
    memoryGiB: number;
    loadAvgAtStart: string;
    loadAvgAtEnd?: string;
    commit: string;
    node24: string;
  };
  options: BenchOptions;
  targets: TargetResult[];
  startup?: StartupResult;
}

const MIB_512 = 512 * 1024 * 1024;
const MB_60 = 60 * 1000 * 1000;

/** CPU per request; direct's is the mock upstream's, marked so. */
function cpu(t: TargetResult, us: number | undefined): string {
  if (us === undefined) return '-';
  return t.name === 'direct' ? `${int(us)} (upstream)` : int(us);
}

function why(t: TargetResult, load: string): string {
  return t.skipped ? `skipped: ${t.skipped}` : (t.errors[load] ?? 'not run');
}

function overview(r: RunResult): string {
  const rows = r.targets.map((t) => [
    t.name,
    t.skipped ? `**not run**: ${t.skipped}` : t.describe,
    t.startMs === undefined ? '-' : int(t.startMs),
    mib(t.idleRss),
    mib(t.loadRss),
    t.notes.join('; '),
  ]);
  return table(
    [
      'target',
      'what',
      'start to ready (ms)',
      'RSS idle (MiB)',
      `RSS peak at ${r.options.connections} conns (MiB)`,
      'notes',
    ],
    rows,
  );
}

function concurrencyTable(r: RunResult): string {
  const rows = r.targets.map((t) => {
    const c = t.concurrency;
    if (!c) return [t.name, why(t, 'concurrency'), '', '', '', '', ''];
    return [t.name, int(c.rps), ms(c.p50Us), ms(c.p99Us), ms(c.p999Us), cpu(t, c.cpuUsPer), int(c.errors)];
  });
  return table(['target', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'CPU µs/req', 'errors'], rows);
}

function rateTable(r: RunResult, key: 'rate' | 'burst'): string {
  const floor = r.targets.find((t) => t.name === 'direct')?.[key];
  const rows = r.targets.map((t) => {
    const x = t[key];
    if (!x) return [t.name, why(t, key), '', '', '', '', '', '', ''];
    const added = (a: number, b: number | undefined): string =>
      floor && t.name !== 'direct' && b !== undefined ? deltaMs(a - b) : '-';
    return [
      t.name,
      int(x.rps),
      ms(x.p50Us),
      ms(x.p99Us),
      ms(x.p999Us),
      added(x.p50Us, floor?.p50Us),
      added(x.p99Us, floor?.p99Us),
      cpu(t, x.cpuUsPer),
      int(x.errors),
    ];
  });
  return table(
    [
      'target',
      'achieved req/s',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'added p50 ms',
      'added p99 ms',
      'CPU µs/req',
      'errors',
    ],
    rows,
  );
}

function streamTable(r: RunResult): string {
  const floor = r.targets.find((t) => t.name === 'direct')?.stream;
  const rows = r.targets.map((t) => {
    const s = t.stream;
    if (!s) return [t.name, why(t, 'stream'), '', '', '', '', '', '', ''];
    const added = floor && t.name !== 'direct' ? deltaMs(s.ttfbP50Us - floor.ttfbP50Us) : '-';
    return [
      t.name,
      `${int(s.streams - s.failed)} / ${int(s.streams)}`,
      ms(s.ttfbP50Us),
      ms(s.ttfbP99Us),
      added,
      ms(s.gapP50Us),
      ms(s.gapP99Us),
      s.eventsPerStream.toFixed(1),
      cpu(t, s.cpuUsPer),
    ];
  });
  return table(
    [
      'target',
      'streams ok / run',
      'TTFB p50 ms',
      'TTFB p99 ms',
      'added TTFB p50 ms',
      'gap p50 ms',
      'gap p99 ms',
      'events/stream',
      'CPU µs/stream',
    ],
    rows,
  );
}

function openTable(r: RunResult): string {
  const steps = r.options.openSteps;
  const rows = r.targets.map((t) => {
    const o = t.open;
    if (!o)
      return [
        t.name,
        t.name === 'direct' ? 'no proxy process' : why(t, 'open-streams'),
        ...steps.map(() => ''),
        '',
        '',
      ];
    const cells = steps.map((step) => {
      const s = o.steps.find((x) => x.step === step);
      if (!s) return 'not reached';
      return s.failed > 0 ? `${mib(s.rssBytes)} (${int(s.open)} open, ${int(s.failed)} failed)` : mib(s.rssBytes);
    });
    // Extrapolated from the last full step at the marginal cost per stream.
    const full = [...o.steps].reverse().find((x) => x.failed === 0 && x.open > 0);
    const fit =
      full && Number.isFinite(o.bytesPerStream) && o.bytesPerStream > 0
        ? int(Math.max(0, full.open + (MIB_512 - full.rssBytes) / o.bytesPerStream))
        : '-';
    return [
      t.name,
      mib(t.idleRss),
      ...cells,
      Number.isFinite(o.bytesPerStream) ? (o.bytesPerStream / 1024).toFixed(1) : '-',
      `${fit}${o.problem ? ` (${o.problem})` : ''}`,
    ];
  });
  return table(
    [
      'target',
      'RSS idle MiB',
      ...steps.map((s) => `RSS at ${int(s)} MiB`),
      'KiB/stream (marginal)',
      'streams in 512 MiB (est.)',
    ],
    rows,
  );
}

function ratioMatrix(r: RunResult, pick: (t: TargetResult) => number | undefined, title: string): string {
  const measured = r.targets.filter((t) => pick(t) !== undefined);
  if (measured.length < 2) return '';
  const rows = measured.map((row) => [
    row.name,
    ...measured.map((col) => (row === col ? '1.00x' : ratio(pick(row), pick(col)))),
  ]);
  return `${title}\n\n${table(['row ÷ column', ...measured.map((t) => t.name)], rows)}`;
}

function goals(r: RunResult): string {
  const proxy = r.targets.find((t) => t.name === 'ai-proxy');
  const boxed = r.targets.find((t) => t.name === 'ai-proxy-container');
  const floor = r.targets.find((t) => t.name === 'direct');
  const peer = r.targets.find((t) => t.name === 'portkey');
  const rows: string[][] = [];
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'met' : '**missed**');
  for (const t of [proxy, boxed]) {
    if (!t) continue;
    const a50 = t.rate && floor?.rate ? t.rate.p50Us - floor.rate.p50Us : undefined;
    const a99 = t.rate && floor?.rate ? t.rate.p99Us - floor.rate.p99Us : undefined;
    const achieved = t.rate ? ` (at ${int(t.rate.rps)} req/s achieved)` : '';
    rows.push([
      `${t.name}: added p50 at ${int(r.options.rate)} req/s (evenly spaced) <= 0.5 ms`,
      a50 === undefined ? '-' : `${deltaMs(a50)} ms${achieved}`,
      verdict(a50 === undefined ? undefined : a50 <= 500),
    ]);
    rows.push([
      `${t.name}: added p99 at ${int(r.options.rate)} req/s (evenly spaced) <= 2 ms`,
      a99 === undefined ? '-' : `${deltaMs(a99)} ms`,
      verdict(a99 === undefined ? undefined : a99 <= 2000),
    ]);
    const ttfb = t.stream && floor?.stream ? t.stream.ttfbP50Us - floor.stream.ttfbP50Us : undefined;
    rows.push([
      `${t.name}: added streaming TTFB (p50) <= 1 ms`,
      ttfb === undefined ? '-' : `${deltaMs(ttfb)} ms`,
      verdict(ttfb === undefined ? undefined : ttfb <= 1000),
    ]);
  }
  if (proxy?.concurrency && peer?.concurrency) {
    const more = proxy.concurrency.rps > peer.concurrency.rps;
    const lower = proxy.concurrency.p99Us < peer.concurrency.p99Us;
    rows.push([
      'ai-proxy: more req/s than Portkey',
      `${int(proxy.concurrency.rps)} vs ${int(peer.concurrency.rps)} (${ratio(proxy.concurrency.rps, peer.concurrency.rps)})`,
      verdict(more),
    ]);
    rows.push([
      'ai-proxy: lower p99 than Portkey',
      `${ms(proxy.concurrency.p99Us)} vs ${ms(peer.concurrency.p99Us)} ms`,
      verdict(lower),
    ]);
  } else {
    rows.push(['ai-proxy: more req/s and lower p99 than Portkey', peer?.skipped ?? 'not measured', 'not measured']);
  }
  for (const t of [proxy, boxed]) {
    if (!t) continue;
    rows.push([
      `${t.name}: idle RSS <= 60 MB`,
      t.idleRss === undefined ? '-' : `${(t.idleRss / 1e6).toFixed(1)} MB`,
      verdict(t.idleRss === undefined ? undefined : t.idleRss <= MB_60),
    ]);
    const at5000 = t.open?.steps.find((s) => s.step === 5000);
    const last = t.open?.steps.at(-1);
    let fits: boolean | undefined;
    let measured = '-';
    if (at5000) {
      fits = at5000.open === 5000 && at5000.failed === 0 && at5000.rssBytes < MIB_512 && !t.open?.problem;
      measured = `${int(at5000.open)} open, ${mib(at5000.rssBytes)} MiB${t.open?.problem ? `, ${t.open.problem}` : ''}`;
    } else if (t.open?.problem && last) {
      // The ramp stopped before 5,000: the goal is missed, and the table says why.
      fits = false;
      measured = `${t.open.problem} (${mib(last.rssBytes)} MiB)`;
    }
    rows.push([`${t.name}: 5,000 open streams inside 512 MiB`, measured, verdict(fits)]);
  }
  return table(['goal (performance)', 'measured', 'verdict'], rows);
}

function startupSection(s: StartupResult): string {
  const rows: string[][] = [
    ['`ai-proxy --version` (median of 5)', s.versionMs === undefined ? '-' : `${int(s.versionMs)} ms`],
    [
      '`ai-proxy serve`: spawn to first 200 on /health/ready (median of 5)',
      s.readyMs === undefined ? '-' : `${int(s.readyMs)} ms`,
    ],
    [
      '`ai-proxy healthcheck` against a running proxy (median of 5)',
      s.healthcheckMs === undefined ? '-' : `${int(s.healthcheckMs)} ms`,
    ],
    [
      'image build (`docker build --no-cache` of the unpacked archive)',
      s.imageBuildMs === undefined ? '-' : `${(s.imageBuildMs / 1000).toFixed(1)} s`,
    ],
    ...Object.entries(s.sizes).map(([name, bytes]) => [
      `size: ${name}`,
      `${bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`} (${int(bytes)} bytes)`,
    ]),
  ];
  return [`Measured on: ${s.subject}.`, '', table(['figure', 'value'], rows), ...s.notes.map((n) => `\n- ${n}`)].join(
    '\n',
  );
}

export function renderReport(r: RunResult): string {
  const m = r.machine;
  const o = r.options;
  const parts = [
    `# ai-proxy benchmark, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}; ${m.node24} for every Node process; commit ${m.commit}. ` +
      `Load average ${m.loadAvgAtStart} at start, ${m.loadAvgAtEnd ?? '?'} at end; run took ${r.seconds ?? '?'} s.`,
    `Each target ran alone against a fresh mock upstream (bench/upstream.ts, own process); ${o.seconds} s measured per load after ${o.warmupSeconds} s of warm-up.`,
  ];
  const ran = (load: string): boolean => r.options.loads.includes(load as never);
  if (r.targets.length > 0) {
    parts.push('## Targets', overview(r));
    if (ran('concurrency')) {
      parts.push(
        `## Non-streaming chat completions, ${o.connections} connections (wrk, 1 thread)`,
        concurrencyTable(r),
      );
      parts.push(
        ratioMatrix(
          r,
          (t) => t.concurrency?.rps,
          'Requests/s ratios (row ÷ column; above 1 means the row target is faster):',
        ),
      );
      parts.push(
        ratioMatrix(
          r,
          (t) => t.concurrency?.p99Us,
          'p99 latency ratios (row ÷ column; below 1 means the row target is quicker):',
        ),
      );
    }
    if (ran('rate')) {
      parts.push(
        `## Non-streaming at a fixed ${int(o.rate)} req/s, evenly spaced (wrk, one request every ${ms(1e6 / o.rate)} ms)`,
        'Requests follow a schedule (bench/wrk/post.lua), not the answers: latency is timed in µs from the moment each request is written. The goals are judged on this table.',
        rateTable(r, 'rate'),
        `## Non-streaming at a fixed ${int(o.rate)} req/s, in bursts (wrk, ${int(o.burst)} at once every ${ms((1e6 * o.burst) / o.rate)} ms)`,
        'The same rate with requests arriving together: a target that serves one request at a time shows its cost per request as queueing.',
        rateTable(r, 'burst'),
      );
    }
    if (ran('stream')) {
      parts.push(
        `## Streaming, ${o.streamConcurrency} concurrent streams (23 SSE events per stream: one at once, then one every 10 ms)`,
        'TTFB: request written to first SSE event. Gap: time between reads carrying events (ideal: 10 ms).',
        streamTable(r),
      );
    }
    if (ran('open-streams'))
      parts.push("## Concurrently open streams (one event every 15 s; RSS of the target's processes)", openTable(r));
    parts.push('## Goals', goals(r));
  }
  if (r.startup) parts.push('## Start-up and artifacts', startupSection(r.startup));
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

const START = '<!-- bench:results:start (generated by `npm run bench -- --write-benchmarks`) -->';
const END = '<!-- bench:results:end -->';

/** Replaces what lies between the markers in BENCHMARKS.md; headings move one level down. */
export function replaceGenerated(document: string, report: string): string {
  const from = document.indexOf(START);
  const to = document.indexOf(END);
  if (from < 0 || to < from) throw new Error(`BENCHMARKS.md has no "${START}" ... "${END}" section to replace`);
  const body = report.replace(/^#/gm, '##').trim();
  return `${document.slice(0, from + START.length)}\n${body}\n${document.slice(to)}`;
}

export function writeBenchmarksSection(path: string, report: string): void {
  writeFileSync(path, replaceGenerated(readFileSync(path, 'utf8'), report));
}
