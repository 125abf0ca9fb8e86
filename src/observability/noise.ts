// Unauthenticated noise (wrong tokens, unknown paths: what scanners send all day) is logged as one
// summary line per second with its count, never one line per request: a flood must not push
// the real log lines out of a rotated log.
import { clip } from '../limits/clip.ts';
import { MAX_LOG_FIELD } from '../limits/model.ts';
import type { Logger } from './logger.ts';

export const NOISE_WINDOW_MS = 1000;

export class NoiseSummary {
  private count = 0;
  private statuses: Record<string, number> = {};
  private example = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly logger: Logger) {}

  /** Counts one refused request; the first of a window starts it. */
  add(status: number, path: string): void {
    if (this.count === 0) {
      this.example = clip(path, MAX_LOG_FIELD);
      this.timer = setTimeout(this.flush, NOISE_WINDOW_MS);
      this.timer.unref();
    }
    this.count++;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
  }

  /** Writes the window's line (also at shutdown). */
  readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count === 0) return;
    this.logger.info('refused requests without a valid token or to unknown paths', {
      count: this.count,
      statuses: this.statuses,
      example_path: this.example,
      window_ms: NOISE_WINDOW_MS,
    });
    this.count = 0;
    this.statuses = {};
  };
}

/** A request refused before it named a model: no token, a wrong one, an unknown path or method. */
export function isNoise(status: number, model: string): boolean {
  return model === '' && (status === 401 || status === 404 || status === 405);
}
