// Measures an upgrade's downtime from inside the VPS: a shell loop asks /ping every ~50 ms
// and logs "epoch-ms http-status"; the downtime is the longest stretch without a 200.
import type { Vps } from './vps.ts';

const LOG = '/root/probe.log';
const STOP = '/root/probe.stop';

/** `intervalS`: the pause between probes (the benchmark uses a shorter one for a finer figure). */
export async function startProbe(vps: Vps, port: number, intervalS = 0.05): Promise<void> {
  await vps.execOk(`rm -f ${LOG} ${STOP}`);
  const loop = `while [ ! -e ${STOP} ]; do s=$(curl -s -o /dev/null -m 1 -w '%{http_code}' http://127.0.0.1:${port}/ping); echo "$(date +%s%3N) $s" >> ${LOG}; sleep ${intervalS}; done`;
  const r = await vps.exec(`nohup sh -c '${loop.replace(/'/g, `'\\''`)}' >/dev/null 2>&1 &`);
  if (r.code !== 0) throw new Error(`the probe loop did not start: ${r.output}`);
  await vps.waitFor(`grep -q ' 200$' ${LOG}`, 20_000, 'the probe never saw /ping answer 200 before the upgrade');
}

export interface ProbeResult {
  probes: number;
  failures: number;
  /** longest time between two successful probes, in ms (a healthy service shows ~the probe interval) */
  longestGapMs: number;
}

export function analyse(log: string): ProbeResult {
  const rows = log
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter((p) => p.length === 2 && /^\d+$/.test(p[0] ?? ''))
    .map(([t, s]) => ({ t: Number(t), ok: s === '200' }));
  let lastOk: number | undefined;
  let longestGapMs = 0;
  for (const r of rows) {
    if (!r.ok) continue;
    if (lastOk !== undefined) longestGapMs = Math.max(longestGapMs, r.t - lastOk);
    lastOk = r.t;
  }
  return { probes: rows.length, failures: rows.filter((r) => !r.ok).length, longestGapMs };
}

export async function stopProbe(vps: Vps): Promise<ProbeResult> {
  await vps.execOk(`touch ${STOP}; sleep 0.3`);
  return analyse(await vps.readFile(LOG));
}
