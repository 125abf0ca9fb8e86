// An incremental Server-Sent Events parser: feed it text as it arrives, get whole events back.
// Each character is looked at once (a line that never ends costs linear time, not a rescan of
// everything buffered on every chunk), one event may hold at most maxEventBytes, and a CR at the
// end of one chunk followed by a LF at the start of the next is one line end, not two.

export interface SseEvent {
  /** The `event:` field, or "" when absent (OpenAI streams have none). */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The event as received, line ends as "\n", without the blank line that ended it. */
  raw: string;
}

/** Where an event's memory is charged beyond the first FREE_EVENT_BYTES (src/limits/budget.ts). */
export interface EventMemory {
  tryTake(n: number): boolean;
  shrink(n: number): void;
}

/** An event may use this much without charging the budget: all but pathological events. */
export const FREE_EVENT_BYTES = 64 * 1024;
/** The default cap on one event (server.max_event_bytes). */
export const DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;

/** The upstream sent an event over the cap, or the proxy has no memory left to hold it. */
export class SseEventTooLarge extends Error {
  constructor(
    readonly kind: 'over_cap' | 'no_memory',
    message: string,
  ) {
    super(message);
    this.name = 'SseEventTooLarge';
  }
}

export class SseParser {
  /** The current line, not ended yet. */
  private line = '';
  /** The complete lines of the current event. */
  private lines: string[] = [];
  /** Characters held for the current event (lines, their ends and the current line). */
  private size = 0;
  private charged = 0;
  /** The last text ended with CR: a LF that starts the next one belongs to that line end. */
  private afterCr = false;
  private events: SseEvent[] = [];

  constructor(
    private readonly maxEventBytes = DEFAULT_MAX_EVENT_BYTES,
    private readonly memory?: EventMemory,
  ) {}

  /** Returns the events completed by this text; partial ones wait for the next. Throws SseEventTooLarge. */
  push(text: string): SseEvent[] {
    let i = this.afterCr && text.charCodeAt(0) === 10 ? 1 : 0;
    this.afterCr = false;
    let lf = text.indexOf('\n', i);
    let cr = text.indexOf('\r', i);
    for (;;) {
      if (lf !== -1 && lf < i) lf = text.indexOf('\n', i);
      if (cr !== -1 && cr < i) cr = text.indexOf('\r', i);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      this.grow(end - i + 1);
      this.endLine(this.line + text.slice(i, end));
      this.line = '';
      i = end + 1;
      if (end === cr) {
        if (i === text.length) this.afterCr = true;
        else if (text.charCodeAt(i) === 10) i++;
      }
    }
    if (i < text.length) {
      this.grow(text.length - i);
      this.line += i === 0 ? text : text.slice(i);
    }
    const out = this.events;
    this.events = [];
    return out;
  }

  /** What is left when the stream ends (an event missing its blank line). */
  flush(): SseEvent[] {
    if (this.line !== '') this.endLine(this.line);
    this.line = '';
    this.endLine('');
    const out = this.events;
    this.events = [];
    return out;
  }

  private grow(n: number): void {
    this.size += n;
    if (this.size > this.maxEventBytes)
      throw new SseEventTooLarge(
        'over_cap',
        `the upstream sent an SSE event over ${this.maxEventBytes} bytes (server.max_event_bytes)`,
      );
    const over = this.size - FREE_EVENT_BYTES - this.charged;
    if (over > 0 && this.memory) {
      // Charge in steps of FREE_EVENT_BYTES, not per chunk.
      const step = Math.max(over, FREE_EVENT_BYTES);
      if (!this.memory.tryTake(step))
        throw new SseEventTooLarge(
          'no_memory',
          'the proxy has no memory left to hold a large SSE event (server.memory_budget_bytes)',
        );
      this.charged += step;
    }
  }

  private endLine(line: string): void {
    if (line !== '') {
      this.lines.push(line);
      return;
    }
    if (this.lines.length > 0) {
      const ev = parseEvent(this.lines);
      if (ev) this.events.push(ev);
    }
    this.lines = [];
    this.size = 0;
    if (this.charged > 0) {
      this.memory?.shrink(this.charged);
      this.charged = 0;
    }
  }
}

function parseEvent(lines: string[]): SseEvent | undefined {
  let event = '';
  let data: string | undefined;
  for (const line of lines) {
    if (line.charCodeAt(0) === 58) continue; // ":" comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
    else if (field === 'event') event = value;
  }
  if (data === undefined && event === '') return undefined;
  return { event, data: data ?? '', raw: lines.join('\n') };
}
