// Relays an upstream SSE answer event by event as its chunks arrive, translated when the client
// speaks another API. When the client's socket is full the upstream is paused until it drains (a
// client that takes nothing for server.write_timeout is cut by src/http/write-timeout.ts, which
// cancels the upstream through the client's abort). Nothing is written before the first event,
// so a stream that fails before it can still fall back to the next target.
import type { ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { ClientAbort } from '../upstream/abort.ts';
import { classifyNetworkError } from '../upstream/attempt.ts';
import type { StreamReader, UpstreamStream } from '../upstream/exchange.ts';
import { type EventMemory, SseEventTooLarge, SseParser } from '../upstream/sse.ts';
import type { StreamTranslator } from '../translate/stream.ts';
import { ProxyError } from '../http/errors.ts';
import type { Plan } from './plan.ts';
import type { RelayResult } from './relay.ts';

export interface StreamHooks {
  onCommit(): void;
  /** The cap on one event (server.max_event_bytes) and where a large event is charged. */
  maxEventBytes: number;
  memory: EventMemory;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

export function relayStream(
  res: ServerResponse,
  stream: UpstreamStream,
  plan: Plan,
  providerName: string,
  signal: ClientAbort,
  hooks: StreamHooks,
): Promise<RelayResult> {
  return new Promise((resolve) => {
    stream.read(new StreamRelay(res, stream, plan.streamTranslator(), providerName, signal, hooks, resolve));
  });
}

/** The reader of one upstream stream: after settle() the stream has no reader, so nothing more arrives. */
class StreamRelay implements StreamReader {
  private readonly parser: SseParser;
  private readonly decoder = new StringDecoder('utf8');
  private committed = false;
  private paused = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly stream: UpstreamStream,
    private readonly tr: StreamTranslator,
    private readonly providerName: string,
    private readonly signal: ClientAbort,
    private readonly hooks: StreamHooks,
    private readonly resolve: (result: RelayResult) => void,
  ) {
    this.parser = new SseParser(hooks.maxEventBytes, hooks.memory);
  }

  data(chunk: Buffer): void {
    this.relay(this.decoder.write(chunk));
  }

  end(): void {
    if (!this.relay(this.decoder.end())) return;
    for (const ev of this.parser.flush()) this.write(this.tr.event(ev));
    const tail = this.tr.end();
    if (tail === undefined) return this.error(undefined);
    this.write(tail);
    this.res.end();
    this.settle({ ok: true, usage: this.tr.usage });
  }

  /** A network error, or (undefined) an upstream that ended before its stream was complete. */
  error(error: Error | undefined): void {
    const { res, tr } = this;
    if (this.signal.aborted || res.destroyed) return this.settle({ ok: true, usage: tr.usage, error: 'client closed' });
    if (error instanceof SseEventTooLarge) return this.fail(this.tooLarge(error), false);
    this.fail(error ? classifyNetworkError(error, this.providerName) : this.truncated(), true);
  }

  /** Before the first event: the next attempt or target may answer. After it: an error event ends the stream. */
  private fail(c: { reason: string; error: ProxyError }, retryable: boolean): void {
    const { res, tr } = this;
    if (!this.committed) return this.settle({ ok: false, error: c.error, reason: c.reason, retryable });
    // Headers are gone: the only honest signal left is an error event in the stream itself.
    res.end(tr.error(c.error.message, c.error.type));
    this.settle({ ok: true, usage: tr.usage, error: c.error.message, reason: c.reason });
  }

  /** Relays what the text completes; false once the upstream sent an error event. */
  private relay(text: string): boolean {
    for (const ev of this.parser.push(text)) {
      this.write(this.tr.event(ev));
      if (this.tr.failed) {
        this.stream.cancel();
        this.res.end();
        this.settle({
          ok: true,
          usage: this.tr.usage,
          error: 'upstream sent an error event',
          reason: 'stream_error_event',
        });
        return false;
      }
    }
    return true;
  }

  /** Writes client text, sending the headers first; a full socket pauses the upstream. */
  private write(text: string): void {
    if (text === '') return;
    if (!this.committed) {
      this.committed = true;
      this.res.writeHead(200, SSE_HEADERS);
      this.hooks.onCommit();
    }
    if (!this.res.write(text) && !this.paused) {
      this.paused = true;
      this.stream.pause();
      this.res.once('drain', this.onDrain);
    }
  }

  private readonly onDrain = (): void => {
    this.paused = false;
    this.stream.resume();
  };

  /** An event over its cap is the upstream's doing (502); no memory for it is the proxy's (503). */
  private tooLarge(error: SseEventTooLarge): { reason: string; error: ProxyError } {
    const message = `upstream ${this.providerName}: ${error.message}`;
    return error.kind === 'over_cap'
      ? { reason: 'event_too_large', error: new ProxyError(502, 'api_error', message, 'upstream_event_too_large') }
      : {
          reason: 'no_memory',
          error: new ProxyError(503, 'overloaded_error', message, 'proxy_busy', { 'retry-after': '1' }),
        };
  }

  private truncated(): { reason: string; error: ProxyError } {
    const message = `upstream ${this.providerName} ended the stream before it was complete`;
    return { reason: 'truncated', error: new ProxyError(502, 'api_error', message, 'upstream_stream_truncated') };
  }

  private settle(result: RelayResult): void {
    this.res.off('drain', this.onDrain);
    this.resolve(result);
  }
}
