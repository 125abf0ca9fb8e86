// Structured JSON logs on stdout, one line per event. Lines are batched for a few milliseconds
// (or 16 KB) so a busy proxy makes one write per batch, not one system call per request.
import type { LogLevel } from '../config/env.ts';
import { clip } from '../limits/clip.ts';

const FLUSH_MS = 20;
const FLUSH_BYTES = 16 * 1024;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

// One Date and one ISO string per millisecond, not per line.
let isoMs = 0;
let iso = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    iso = new Date(ms).toISOString();
  }
  return iso;
}

/** Every string in a line is cut at this length (a stack trace fits; a 10 MiB upstream message does not). */
export const MAX_FIELD = 2048;

function clipStrings(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? clip(value, MAX_FIELD) : value;
}

export interface LogSink {
  write(chunk: string): unknown;
}

export class Logger {
  private rank: number;
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;
  private secrets: string[] = [];

  constructor(
    level: LogLevel,
    private readonly out: LogSink = process.stdout,
  ) {
    this.rank = RANK[level];
  }

  setLevel(level: LogLevel): void {
    this.rank = RANK[level];
  }

  /** Values that must never appear in a log line (tokens, provider keys). */
  setSecrets(secrets: Iterable<string | undefined>): void {
    this.secrets = [...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 8);
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.rank;
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (this.rank <= RANK.debug) this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    if (this.rank <= RANK.info) this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    if (this.rank <= RANK.warn) this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    if (this.rank <= RANK.error) this.emit('error', msg, fields);
  }

  /** Removes any configured secret from free text (upstream error messages, exceptions). */
  scrub(text: string): string {
    for (const s of this.secrets) if (text.includes(s)) text = text.split(s).join('[REDACTED]');
    return text;
  }

  /**
   * A line from members already in JSON (`"key":value,...`): the per-request line, built without
   * an intermediate object or a generic JSON.stringify of it (the proxy's largest own cost per
   * request when it went through emit()).
   */
  members(level: LogLevel, msg: string, members: string): void {
    if (RANK[level] >= this.rank)
      this.append(`{"time":"${isoNow()}","level":"${level}","msg":${JSON.stringify(msg)},${members}}`);
  }

  private emit(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    this.append(JSON.stringify({ time: isoNow(), level, msg, ...fields }, clipStrings));
  }

  private append(line: string): void {
    if (this.secrets.length > 0) line = this.scrub(line);
    this.buffer += line + '\n';
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
    else if (!this.timer) this.timer = setTimeout(this.flush, FLUSH_MS);
  }

  readonly flush = (): void => {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    this.out.write(text);
  };
}
