// What every stream translator does: take one upstream SSE event, return the text to write to
// the client (possibly ""), and know whether the upstream finished properly.
import type { SseEvent } from '../upstream/sse.ts';
import type { Usage } from './types.ts';

export interface StreamTranslator {
  /** Client-format SSE text for this upstream event ("" when nothing is due). */
  event(ev: SseEvent): string;
  /** Called at a clean upstream end: remaining text, or undefined if the stream was cut short. */
  end(): string | undefined;
  /** An in-band error in the client's format (after the stream has started). */
  error(message: string, type: string): string;
  /** Token usage seen so far. */
  usage: Usage | undefined;
  /** True once the upstream sent an error event (the stream is over, and not successfully). */
  failed: boolean;
  /**
   * Characters of the answer the translator keeps to send again at its end (a Responses stream
   * repeats every item in response.completed); relay-stream.ts caps and charges them like a
   * buffered answer. Absent: it keeps nothing that grows with the answer.
   */
  readonly held?: number;
}

export function openaiErrorEvent(message: string, type: string): string {
  return `data: ${JSON.stringify({ error: { message, type, code: null } })}\n\n`;
}

export function anthropicErrorEvent(message: string, type: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`;
}
