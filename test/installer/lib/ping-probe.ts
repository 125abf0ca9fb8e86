// A loop of GET /ping through the published port while an installer run changes the container:
// how many probes failed and the longest stretch without a successful one (the downtime).
import { get } from './harness.ts';

export interface PingFigures {
  failures: number;
  longestGapMs: number;
}

/** Probes every 20 ms until `stop()`, which resolves with the figures. */
export function startPingProbe(port: number): { stop(): Promise<PingFigures> } {
  const figures: PingFigures = { failures: 0, longestGapMs: 0 };
  let gapStart = 0;
  let probing = true;
  const loop = (async () => {
    while (probing) {
      const at = Date.now();
      const ok = await get(port, '/ping').then(
        (r) => r.status === 200,
        () => false,
      );
      if (!ok) {
        figures.failures++;
        gapStart ||= at;
      } else if (gapStart) {
        figures.longestGapMs = Math.max(figures.longestGapMs, Date.now() - gapStart);
        gapStart = 0;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      probing = false;
      await loop;
      return figures;
    },
  };
}
