// A Responses event stream from an upstream that serves the Responses API itself, relayed as it
// is. It meters usage (from the terminal response event), tells a finished stream from one cut
// short, and ends a failed one the way the Responses API does: an `error` event and
// `response.failed`, numbered after the upstream's last sequence_number, so a client waiting for
// a terminal event gets one with the reason instead of a chat-style error line it cannot read.
import type { SseEvent } from '../../upstream/sse.ts';
import { openaiUsage } from '../response-json.ts';
import type { StreamTranslator } from '../stream.ts';
import { asObject, str, type Json, type Usage } from '../types.ts';
import { ResponseShell } from './response-object.ts';

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
const SEQUENCE = '"sequence_number":';

export class ResponsesPassthrough implements StreamTranslator {
  usage: Usage | undefined;
  failed = false;
  private done = false;
  private lastSequence = -1;
  /** response.created's data, read only if the stream fails (its id and model name the failure). */
  private created: string | undefined;

  constructor(
    private readonly request: Json,
    private readonly model: string,
  ) {}

  event(ev: SseEvent): string {
    const data = ev.data;
    this.trackSequence(data);
    const type = ev.event || eventType(data);
    if (type === 'response.created') this.created = data;
    else if (TERMINAL.has(type)) {
      this.done = true;
      if (type === 'response.failed') this.failed = true;
      const usage = this.usageOf(data);
      if (usage) this.usage = usage;
    } else if (type === 'error') {
      // The upstream gave up: its reason, then the terminal event it may never send.
      this.failed = true;
      const err = asObject(safeParse(data));
      return `${ev.raw}\n\n${this.failedEvent(str(err.message) ?? 'upstream error')}`;
    }
    return `${ev.raw}\n\n`;
  }

  end(): string | undefined {
    return this.done ? '' : undefined;
  }

  error(message: string, type: string): string {
    return this.errorEvent(message, type) + this.failedEvent(message);
  }

  /** The last sequence_number the upstream sent, found from the end of the event's text. */
  private trackSequence(data: string): void {
    const at = data.lastIndexOf(SEQUENCE);
    if (at === -1) return;
    const n = Number.parseInt(data.slice(at + SEQUENCE.length, at + SEQUENCE.length + 16), 10);
    if (Number.isSafeInteger(n) && n > this.lastSequence) this.lastSequence = n;
  }

  private usageOf(data: string): Usage | undefined {
    return openaiUsage(asObject(asObject(safeParse(data)).response).usage);
  }

  private next(): number {
    this.lastSequence++;
    return this.lastSequence;
  }

  private errorEvent(message: string, code: string): string {
    const data = JSON.stringify({ type: 'error', code, message, param: null, sequence_number: this.next() });
    return `event: error\ndata: ${data}\n\n`;
  }

  private failedEvent(message: string): string {
    const upstream = asObject(asObject(this.created === undefined ? undefined : safeParse(this.created)).response);
    const shell = new ResponseShell(str(upstream.id) ?? 'resp_proxy', str(upstream.model) ?? this.model, this.request);
    const response = shell.json({
      status: 'failed',
      output: [],
      usage: this.usage,
      error: { code: 'server_error', message },
    });
    return `event: response.failed\ndata: {"type":"response.failed","response":${response},"sequence_number":${this.next()}}\n\n`;
  }
}

function safeParse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** The event's type from its data, for servers that send no `event:` line. */
function eventType(data: string): string {
  const m = /^\{\s*"type"\s*:\s*"([^"]{1,64})"/.exec(data);
  return m?.[1] ?? '';
}
