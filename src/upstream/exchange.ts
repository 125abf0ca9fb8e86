// One HTTP exchange with an upstream, through undici's dispatch() and a handler of our own.
// A JSON answer is collected into one Buffer as its chunks arrive, up to its cap and charged to
// the memory budget (an error body is kept up to MAX_ERROR_BODY, the rest dropped); an SSE
// answer the client asked to stream is handed over chunk by chunk to the relay, which pauses it
// when the client falls behind. undici's request() would wrap every answer in its own Readable,
// an AsyncResource and a promise chain: in a bare forwarder that is 62 instead of 39 µs of CPU
// per request (bench/, 2 vCPUs).
import type { Dispatcher } from 'undici';
import type { ClientAbort } from './abort.ts';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface UpstreamAnswer {
  statusCode: number;
  headers: ResponseHeaders;
  /** performance.now() when the status line and headers had arrived. */
  headersAt: number;
  /** The whole body (an error body only up to MAX_ERROR_BODY); undefined when `stream` has it. */
  body: Buffer | undefined;
  stream: UpstreamStream | undefined;
}

/** What reads a streamed answer: chunks as they arrive, then exactly one of end or error. */
export interface StreamReader {
  data(chunk: Buffer): void;
  end(): void;
  error(error: Error): void;
}

/**
 * A streamed answer. Chunks that arrive before a reader is attached (the first SSE event often
 * comes with the headers) wait for it. A reader that throws aborts the upstream and gets the
 * error through error(), as a failing socket would.
 */
export class UpstreamStream {
  private reader: StreamReader | undefined;
  private waiting: Buffer[] = [];
  /** Set once the upstream answer is over: complete (no error) or failed. */
  private ended: { error: Error | undefined } | undefined;
  private cancelled = false;

  constructor(private readonly controller: Dispatcher.DispatchController) {}

  read(reader: StreamReader): void {
    this.reader = reader;
    for (const chunk of this.waiting.splice(0)) this.deliver(chunk);
    if (this.ended) this.settle();
  }

  pause(): void {
    this.controller.pause();
  }

  resume(): void {
    this.controller.resume();
  }

  /** Stops the upstream answer (client gone, error event, slow client); the reader hears nothing more. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reader = undefined;
    this.waiting = [];
    if (!this.ended) this.controller.abort(new Error('upstream stream cancelled by the proxy'));
  }

  /** @internal the exchange handler's side */
  push(chunk: Buffer): void {
    if (this.cancelled) return;
    if (this.reader) this.deliver(chunk);
    else this.waiting.push(chunk);
  }

  /** @internal */
  finish(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = { error };
    this.settle();
  }

  private deliver(chunk: Buffer): void {
    const reader = this.reader;
    if (!reader) return;
    try {
      reader.data(chunk);
    } catch (error) {
      this.cancel();
      reader.error(error as Error);
    }
  }

  private settle(): void {
    const reader = this.reader;
    if (!reader) return;
    this.reader = undefined;
    if (this.ended!.error) reader.error(this.ended!.error);
    else reader.end();
  }
}

export interface UpstreamCall {
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** Hand a 2xx text/event-stream answer over as a stream rather than reading it whole. */
  stream: boolean;
}

/** An error body is only read for its message: what is beyond this is dropped. */
export const MAX_ERROR_BODY = 64 * 1024;

/** The default cap on a buffered (non-SSE) 2xx answer (server.max_response_bytes). */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** How much of a buffered answer the proxy may hold, and where that memory is charged. */
export interface AnswerLimits {
  maxBytes: number;
  /** The request's share of the memory budget (src/limits/budget.ts); the caller releases it. */
  memory?: { tryTake(n: number): boolean; shrink(n: number): void };
}

/** A buffered answer went over its cap, or the proxy had no memory left for it: it was cut. */
export class UpstreamAnswerTooLarge extends Error {
  constructor(
    readonly kind: 'over_cap' | 'no_memory',
    readonly limit: number,
  ) {
    super(
      kind === 'over_cap'
        ? `answer over ${limit} bytes (server.max_response_bytes)`
        : 'no memory left to hold the answer (server.memory_budget_bytes)',
    );
    this.name = 'UpstreamAnswerTooLarge';
  }
}

/**
 * Sends the call; resolves once the answer is complete (or, for a stream, once its headers are in).
 * timeoutMs is undici's headersTimeout and bodyTimeout (idle time between body chunks).
 */
export function exchange(
  pool: Dispatcher,
  call: UpstreamCall,
  timeoutMs: number,
  signal: ClientAbort,
  limits: AnswerLimits = { maxBytes: DEFAULT_MAX_RESPONSE_BYTES },
): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    pool.dispatch(
      {
        method: 'POST',
        path: call.path,
        headers: call.headers,
        body: call.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      new ExchangeHandler(call.stream, signal, limits, resolve, reject),
    );
  });
}

function isEventStream(contentType: string | string[] | undefined): boolean {
  return (Array.isArray(contentType) ? contentType[0] : contentType)?.startsWith('text/event-stream') === true;
}

class ExchangeHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private answer: UpstreamAnswer | undefined;
  private stream: UpstreamStream | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private charged = 0;
  private wasCut = false;

  constructor(
    private readonly wantStream: boolean,
    private readonly signal: ClientAbort,
    private readonly limits: AnswerLimits,
    private readonly resolve: (answer: UpstreamAnswer) => void,
    private readonly reject: (error: Error) => void,
  ) {
    signal.on('abort', this.onClientAbort);
  }

  // undici asks for a connection first; a client that left meanwhile is acted on here.
  private readonly onClientAbort = (): void => {
    this.controller?.abort(new Error('client closed the request'));
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) this.onClientAbort();
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    const answer: UpstreamAnswer = {
      statusCode,
      headers,
      headersAt: performance.now(),
      body: undefined,
      stream: undefined,
    };
    this.answer = answer;
    if (this.wantStream && statusCode < 300 && isEventStream(headers['content-type'])) {
      this.stream = new UpstreamStream(controller);
      answer.stream = this.stream;
      this.resolve(answer);
      return;
    }
    // A declared length over the cap is refused before a byte of it is read.
    const declared = Number(headers['content-length']);
    if (statusCode < 300 && declared > this.limits.maxBytes) this.cut(controller, 'over_cap');
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.stream) {
      this.stream.push(chunk);
      return;
    }
    if (this.wasCut) return;
    if (this.answer!.statusCode >= 300) {
      if (this.size >= MAX_ERROR_BODY) return;
    } else if (this.size + chunk.length > this.limits.maxBytes) return this.cut(controller, 'over_cap');
    else if (this.limits.memory) {
      if (!this.limits.memory.tryTake(chunk.length)) return this.cut(controller, 'no_memory');
      this.charged += chunk.length;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Stops reading a buffered answer that cannot be held, and lets go of what was read. */
  private cut(controller: Dispatcher.DispatchController, kind: 'over_cap' | 'no_memory'): void {
    this.wasCut = true;
    this.chunks = [];
    this.size = 0;
    this.limits.memory?.shrink(this.charged);
    this.charged = 0;
    controller.abort(new UpstreamAnswerTooLarge(kind, this.limits.maxBytes));
  }

  onResponseEnd(): void {
    this.signal.off('abort', this.onClientAbort);
    if (this.stream) {
      this.stream.finish(undefined);
      return;
    }
    const answer = this.answer!;
    answer.body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.resolve(answer);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.signal.off('abort', this.onClientAbort);
    if (this.stream) this.stream.finish(error);
    else this.reject(error);
  }
}
