// What a drain says, one JSON log line per report: operators read it with `docker logs`, and a
// tool that hands a port over can show the `draining: waiting` lines of the old proxy (the
// requests it is still finishing). Keep the messages stable: they are matched.
import type { DrainProgress } from '../http/drain.ts';
import type { Logger } from '../observability/logger.ts';

export const DRAIN_MESSAGES = {
  accepting: 'draining: still accepting while readiness says no',
  closed: 'draining: stopped accepting',
  waiting: 'draining: waiting',
  done: 'drained',
  cut: 'drain limit reached: cutting what is still open',
} as const;

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export function logDrain(log: Logger, p: DrainProgress): void {
  const fields = {
    elapsed_s: seconds(p.elapsedMs),
    limit_s: seconds(p.limitMs),
    requests: p.requests,
    streams: p.streams,
    ...(p.oldest.length
      ? {
          oldest: p.oldest.map((r) => ({
            request_id: r.id,
            path: r.path,
            ...(r.model ? { model: r.model } : {}),
            stream: r.stream,
            age_s: seconds(r.ageMs),
          })),
        }
      : {}),
  };
  if (p.phase === 'cut') log.warn(DRAIN_MESSAGES.cut, fields);
  else log.info(DRAIN_MESSAGES[p.phase], fields);
}
