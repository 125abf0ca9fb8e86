// An incremental Server-Sent Events parser: feed it text as it arrives, get whole events back.

export interface SseEvent {
  /** The `event:` field, or "" when absent (OpenAI streams have none). */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The event as received, without the blank line that ended it. */
  raw: string;
}

export class SseParser {
  private buffer = '';

  /** Returns the events completed by this chunk; partial ones wait for the next. */
  push(text: string): SseEvent[] {
    this.buffer += text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
    const events: SseEvent[] = [];
    let start = 0;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n', start)) !== -1) {
      const raw = this.buffer.slice(start, end);
      start = end + 2;
      const ev = parseBlock(raw);
      if (ev) events.push(ev);
    }
    this.buffer = start === 0 ? this.buffer : this.buffer.slice(start);
    return events;
  }

  /** What is left when the stream ends (an event missing its blank line). */
  flush(): SseEvent[] {
    const rest = this.buffer.trim();
    this.buffer = '';
    const ev = rest ? parseBlock(rest) : undefined;
    return ev ? [ev] : [];
  }
}

function parseBlock(raw: string): SseEvent | undefined {
  let event = '';
  let data: string | undefined;
  for (const line of raw.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
    else if (field === 'event') event = value;
  }
  if (data === undefined && event === '') return undefined;
  return { event, data: data ?? '', raw };
}
