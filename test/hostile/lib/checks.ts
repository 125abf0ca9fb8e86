// What every attack must leave behind: a live process, a peak RSS under the stated bound,
// /metrics that Prometheus can still scrape, and bystanders that saw no error. The figures go
// to the test's diagnostics (and to HOSTILE_REPORT=file.jsonl when set, for before/after tables),
// also when the attack itself failed, so a run against an older build gives its "before" figures.
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { type BystanderReport, p99 } from './bystander.ts';
import { promtoolCheck } from './promtool.ts';
import type { Proxy } from './proxy.ts';

export interface Figures {
  attack: string;
  alive: boolean;
  peakRssMiB: number;
  rssMiB: number;
  metricsBytes: number;
  promtool: string;
  logLines: number;
  logBytes: number;
  longestLogLine: number;
  bystanderRequests: number;
  bystanderErrors: number;
  bystanderP99Ms: number;
  [extra: string]: string | number | boolean;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Measures and reports; asserts nothing. */
export async function measure(
  t: TestContext,
  proxy: Proxy,
  bystanders: BystanderReport | undefined,
  extra: Record<string, string | number> = {},
): Promise<Figures> {
  const alive = proxy.alive();
  const memory = alive ? proxy.memory() : { rssMiB: Number.NaN, peakMiB: Number.NaN };
  const metrics = alive ? await proxy.metrics().catch(() => '') : '';
  const check = metrics ? await promtoolCheck(metrics) : { ok: false, output: 'no /metrics' };
  const figures: Figures = {
    attack: t.name,
    alive,
    peakRssMiB: round1(memory.peakMiB),
    rssMiB: round1(memory.rssMiB),
    metricsBytes: Buffer.byteLength(metrics),
    promtool: check.ok ? 'ok' : check.output.split('\n')[0]!.slice(0, 200),
    logLines: proxy.log.lines,
    logBytes: proxy.log.bytes,
    longestLogLine: proxy.log.longestLine,
    bystanderRequests: bystanders?.requests ?? 0,
    bystanderErrors: bystanders?.errors.length ?? 0,
    bystanderP99Ms: round1(p99(bystanders?.latencies ?? [])),
    ...extra,
  };
  t.diagnostic(JSON.stringify(figures));
  if (process.env.HOSTILE_REPORT) appendFileSync(process.env.HOSTILE_REPORT, `${JSON.stringify(figures)}\n`);
  return figures;
}

export function assertSurvived(
  figures: Figures,
  bystanders: BystanderReport | undefined,
  bound: { peakRssMiB: number },
  logTail: string[],
): void {
  assert.ok(figures.alive, `the proxy died: ${logTail.slice(-5).join('\n')}`);
  assert.equal(figures.promtool, 'ok', 'promtool check metrics passes');
  assert.ok(
    figures.peakRssMiB < bound.peakRssMiB,
    `peak RSS ${figures.peakRssMiB} MiB is over the bound of ${bound.peakRssMiB} MiB`,
  );
  if (bystanders) {
    assert.ok(bystanders.requests > 0, 'the bystanders got no request through');
    assert.deepEqual(bystanders.errors.slice(0, 3), [], `${bystanders.errors.length} bystander requests failed`);
  }
}
