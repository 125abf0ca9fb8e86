// A steady load that an upgrade must not disturb, from a client that never retries: every
// refused connection, reset, error status or cut stream that a real client would have seen is
// counted, none is hidden by a second attempt. Requests start at a fixed rate whatever the
// answers take (an open loop: a stalled server does not slow the client down, as real
// traffic does not), over pooled keep-alive connections as the SDKs use them, or a new
// connection per request. Half of a typical mix is streamed answers that last longer than
// a container's stop timeout, so a drain that cuts them shows.
import { Agent, type ClientRequest, type IncomingMessage, request } from 'node:http';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** a streamed answer counts as finished only when its text ends with this (e.g. `data: [DONE]`) */
  streamEnd?: string;
}

export interface LoadOptions {
  host: string;
  port: number;
  ratePerSecond: number;
  /** sent in turn: e.g. one plain request, then one streamed */
  mix: LoadRequest[];
  /** pooled keep-alive connections (default), or a new connection for every request */
  keepAlive?: boolean;
  /** no byte of an answer for this long counts as a failure (default 30 s) */
  idleTimeoutMs?: number;
  /** a response header whose values are counted (e.g. which version answered) */
  countHeader?: string;
}

export type Failure = 'refused' | 'reset' | 'timeout' | 'status' | 'cut' | 'other';

export interface LoadReport {
  sent: number;
  ok: number;
  failed: Record<Failure, number>;
  streams: { sent: number; finished: number; cut: number; longestMs: number };
  /** longest time between the sending of two requests that succeeded, in ms (what a probe loop measures) */
  longestGapMs: number;
  /** values of `countHeader` in successful answers, with their counts */
  answeredBy: Record<string, number>;
  /** the first few failures, each with its time since the start, for a failure message */
  examples: string[];
  seconds: number;
}

const FAILURES: Failure[] = ['refused', 'reset', 'timeout', 'status', 'cut', 'other'];
const EXAMPLES = 10;

export function failedCount(r: LoadReport): number {
  return FAILURES.reduce((n, f) => n + r.failed[f], 0);
}

/** "0/812 failed (..), 203 streams (0 cut, longest 20.1 s), gap 0.11 s" for the report's note column. */
export function describeLoad(r: LoadReport): string {
  const kinds = FAILURES.filter((f) => r.failed[f] > 0).map((f) => `${r.failed[f]} ${f}`);
  return (
    `${failedCount(r)}/${r.sent} failed${kinds.length ? ` (${kinds.join(', ')})` : ''}, ` +
    `${r.streams.sent} streams (${r.streams.cut} cut, longest ${(r.streams.longestMs / 1000).toFixed(1)} s), ` +
    `longest gap ${(r.longestGapMs / 1000).toFixed(2)} s`
  );
}

/** What a Node error on a client request means for the client. */
export function classify(error: NodeJS.ErrnoException, answered: boolean, streamed: boolean): Failure {
  if (error.code === 'ECONNREFUSED') return 'refused';
  if (error.code === 'ETIMEDOUT' || error.message === 'idle timeout') return 'timeout';
  if (answered && streamed) return 'cut';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || /socket hang up|aborted/i.test(error.message))
    return 'reset';
  return 'other';
}

export class Load {
  private readonly started = Date.now();
  private readonly agent: Agent | false;
  private readonly timer: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  /** when each successful request was sent */
  private readonly answers: number[] = [];
  private readonly report: LoadReport = {
    sent: 0,
    ok: 0,
    failed: { refused: 0, reset: 0, timeout: 0, status: 0, cut: 0, other: 0 },
    streams: { sent: 0, finished: 0, cut: 0, longestMs: 0 },
    longestGapMs: 0,
    answeredBy: {},
    examples: [],
    seconds: 0,
  };
  private next = 0;

  private constructor(private readonly opts: LoadOptions) {
    // maxSockets unlimited: an open loop needs a connection for every request still running
    this.agent =
      opts.keepAlive === false ? false : new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
    this.timer = setInterval(() => this.send(), 1000 / opts.ratePerSecond);
  }

  static start(opts: LoadOptions): Load {
    if (opts.mix.length === 0 || !(opts.ratePerSecond > 0)) throw new Error('load: a mix and a positive rate');
    return new Load(opts);
  }

  /** Stops sending, waits for every request still running (streams included), returns the count. */
  async stop(): Promise<LoadReport> {
    clearInterval(this.timer);
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
    if (this.agent) this.agent.destroy();
    const times = this.answers.sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++)
      this.report.longestGapMs = Math.max(this.report.longestGapMs, times[i]! - times[i - 1]!);
    this.report.seconds = (Date.now() - this.started) / 1000;
    return this.report;
  }

  private send(): void {
    const spec = this.opts.mix[this.next++ % this.opts.mix.length]!;
    this.report.sent++;
    if (spec.streamEnd !== undefined) this.report.streams.sent++;
    const done = this.one(spec).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  private fail(kind: Failure, spec: LoadRequest, detail: string): void {
    this.report.failed[kind]++;
    if (kind === 'cut') this.report.streams.cut++;
    if (this.report.examples.length < EXAMPLES)
      this.report.examples.push(
        `+${((Date.now() - this.started) / 1000).toFixed(2)} s ${spec.method} ${spec.path}: ${kind} (${detail})`,
      );
  }

  private one(spec: LoadRequest): Promise<void> {
    const begun = Date.now();
    const streamed = spec.streamEnd !== undefined;
    return new Promise<void>((resolve) => {
      let answeredAt: number | undefined;
      let settled = false;
      const settle = (failure?: [Failure, string]) => {
        if (settled) return;
        settled = true;
        if (failure) this.fail(failure[0], spec, failure[1]);
        else {
          this.report.ok++;
          this.answers.push(begun);
          if (streamed) {
            this.report.streams.finished++;
            this.report.streams.longestMs = Math.max(this.report.streams.longestMs, Date.now() - begun);
          }
        }
        resolve();
      };
      const req: ClientRequest = request({
        host: this.opts.host,
        port: this.opts.port,
        method: spec.method,
        path: spec.path,
        headers: { ...spec.headers, ...(spec.body ? { 'content-length': Buffer.byteLength(spec.body) } : {}) },
        agent: this.agent,
      });
      req.setTimeout(this.opts.idleTimeoutMs ?? 30_000, () => req.destroy(new Error('idle timeout')));
      req.on('error', (error: NodeJS.ErrnoException) =>
        settle([classify(error, answeredAt !== undefined, streamed), error.code ?? error.message]),
      );
      req.on('response', (res: IncomingMessage) => {
        answeredAt = Date.now();
        const tag = this.opts.countHeader ? res.headers[this.opts.countHeader.toLowerCase()] : undefined;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          // only the tail matters for the end marker; a long stream must not grow without bound
          text = (text + chunk).slice(-4096);
        });
        res.on('error', (error: NodeJS.ErrnoException) =>
          settle([classify(error, true, streamed), error.code ?? error.message]),
        );
        res.on('close', () => {
          if (!res.complete) return settle([streamed ? 'cut' : 'reset', 'the answer ended early']);
          if (res.statusCode !== 200) return settle(['status', `HTTP ${res.statusCode}: ${text.slice(0, 200)}`]);
          if (streamed && !text.trimEnd().endsWith(spec.streamEnd!.trimEnd()))
            return settle(['cut', `no "${spec.streamEnd}" at the end`]);
          if (typeof tag === 'string') this.report.answeredBy[tag] = (this.report.answeredBy[tag] ?? 0) + 1;
          settle();
        });
      });
      req.end(spec.body);
    });
  }
}
