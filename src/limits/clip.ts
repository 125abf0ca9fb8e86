// Text that came from a client or an upstream, cut to a length fit for a log line, a metric or an
// error answer: a 10 MiB model name must not become a 10 MiB log line.

/** `text` when it has at most `max` characters; else its start and how much was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}...(${text.length - max} more characters)`;
}
