// What the operator sees while the installer works: numbered steps with timings, a spinner on
// a TTY, plain lines otherwise (CI, pipes, `--json`, where progress goes to stderr so stdout
// carries only the JSON line). NO_COLOR is honoured.
import type { Logger } from './log.ts';

export interface Output {
  write(text: string): void;
  isTTY: boolean;
}

export interface StepHandle {
  done(detail?: string): void;
  fail(detail: string): void;
  skip(detail: string): void;
}

export interface Progress {
  step(title: string): StepHandle;
  info(text: string): void;
  warn(text: string): void;
  /** Stops the spinner (before a prompt writes to the terminal). */
  pause(): void;
  readonly timings: Array<{ step: string; ms: number; status: 'done' | 'failed' | 'skipped' }>;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function createProgress(
  out: Output,
  log: Logger,
  options: { color: boolean; total: number; quiet?: boolean },
): Progress {
  let index = 0;
  const paint = (code: string, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const timings: Progress['timings'] = [];
  let spinner: NodeJS.Timeout | undefined;
  const stopSpinner = () => {
    if (!spinner) return;
    clearInterval(spinner);
    spinner = undefined;
    write('\r\x1b[K');
  };
  const write = (text: string) => {
    if (!options.quiet) out.write(text);
  };

  return {
    timings,
    step(title: string): StepHandle {
      index++;
      const label = `[${index}/${options.total}] ${title}`;
      const started = Date.now();
      log.line(`step ${label}`);
      if (out.isTTY && !options.quiet) {
        let frame = 0;
        write(`${FRAMES[0]} ${label}`);
        spinner = setInterval(() => {
          frame = (frame + 1) % FRAMES.length;
          write(`\r${FRAMES[frame]} ${label}`);
        }, 100);
        spinner.unref();
      }
      const end = (mark: string, status: 'done' | 'failed' | 'skipped', detail?: string) => {
        stopSpinner();
        const ms = Date.now() - started;
        timings.push({ step: title, ms, status });
        const suffix = detail ? ` — ${detail}` : '';
        log.line(`${status} ${label}${suffix} (${seconds(ms)})`);
        write(`${mark} ${label}${suffix} (${seconds(ms)})\n`);
      };
      return {
        done: (detail) => end(paint('32', '✓'), 'done', detail),
        fail: (detail) => end(paint('31', '✗'), 'failed', detail),
        skip: (detail) => end(paint('2', '-'), 'skipped', detail),
      };
    },
    pause: stopSpinner,
    info(text: string) {
      stopSpinner();
      log.line(text);
      write(`${text}\n`);
    },
    warn(text: string) {
      stopSpinner();
      log.line(`warning: ${text}`);
      write(`${paint('33', 'warning:')} ${text}\n`);
    },
  };
}
