// What a draining proxy says it is still finishing: its last drain line (src/cli/drain-log.ts,
// one JSON log line per report), read from `docker logs`. The hand-over shows it; the drain wait
// (--drain-timeout) follows it until the proxy exits.
import { DRAIN_MESSAGES } from '../../src/cli/drain-log.ts';
import type { Engine } from '../engine/engine.ts';

export interface DrainStatus {
  msg: string;
  requests: number;
  streams: number;
  elapsedS?: number;
  limitS?: number;
}

const DRAIN_LINES = new Set<string>(Object.values(DRAIN_MESSAGES));

/** The last drain line in a log, or undefined when the proxy has not reported one yet. */
export function lastDrainLine(logs: string): DrainStatus | undefined {
  let found: DrainStatus | undefined;
  for (const line of logs.split('\n')) {
    const start = line.indexOf('{');
    if (start < 0) continue;
    try {
      const parsed = JSON.parse(line.slice(start)) as Record<string, unknown>;
      if (typeof parsed.msg !== 'string' || !DRAIN_LINES.has(parsed.msg)) continue;
      const number = (key: string) => (typeof parsed[key] === 'number' ? (parsed[key] as number) : undefined);
      found = {
        msg: parsed.msg,
        requests: number('requests') ?? 0,
        streams: number('streams') ?? 0,
        ...(number('elapsed_s') !== undefined ? { elapsedS: number('elapsed_s') } : {}),
        ...(number('limit_s') !== undefined ? { limitS: number('limit_s') } : {}),
      };
    } catch {
      // not a JSON line: the proxy's own lines are, anything else is not a drain report
    }
  }
  return found;
}

export async function drainStatus(engine: Engine, id: string): Promise<DrainStatus | undefined> {
  return lastDrainLine(await engine.containers.logsSinceStart(id, 100));
}

/** "3 requests (2 streams) still open, up to 600 s" for the operator. */
export function describeDrain(status: DrainStatus): string {
  if (status.msg === DRAIN_MESSAGES.done) return 'drained';
  const open = `${status.requests} request${status.requests === 1 ? '' : 's'} (${status.streams} stream${status.streams === 1 ? '' : 's'}) still open`;
  const limit = status.limitS !== undefined ? `, drain limit ${status.limitS} s` : '';
  return `${open}${status.elapsedS !== undefined ? ` after ${status.elapsedS} s` : ''}${limit}`;
}
