// The frame of every hostile test: a fresh proxy, well-behaved clients beside the attack, then
// the checks of checks.ts. A fresh process per attack, so each peak RSS is that attack's own.
import type { TestContext } from 'node:test';
import { startBystanders } from './bystander.ts';
import { assertSurvived, type Figures, measure } from './checks.ts';
import { type Proxy, type ProxyOptions, startProxy } from './proxy.ts';

export interface AttackOptions extends ProxyOptions {
  /** The bound on the proxy's peak RSS (VmHWM) over its whole life, attack included. */
  peakRssMiB: number;
}

export interface AttackOutcome {
  figures: Figures;
  /** Log lines written from the start of the attack until a second after it. */
  attackLogLines: number;
}

export async function underAttack(
  t: TestContext,
  executable: string,
  options: AttackOptions,
  attack: (proxy: Proxy) => Promise<Record<string, string | number>>,
): Promise<AttackOutcome> {
  const proxy = await startProxy(executable, options);
  const linesBefore = proxy.log.lines;
  const bystanders = startBystanders(proxy.url);
  try {
    let failure: unknown;
    const extra = await attack(proxy).catch((error: unknown) => {
      failure = error;
      return {};
    });
    const report = await bystanders.stop();
    // The logger batches lines and writes per-second summaries: let them out before counting.
    await new Promise((r) => setTimeout(r, 1200));
    const figures = await measure(t, proxy, report, extra);
    if (failure) throw failure;
    assertSurvived(figures, report, options, proxy.log.tail);
    return { figures, attackLogLines: proxy.log.lines - linesBefore };
  } finally {
    await bystanders.stop();
    await proxy.stop();
  }
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
