// Streams that need no translation still pass through a light filter: it meters usage (parsing
// only the events that carry it), hides the usage chunk the proxy asked for on the client's
// behalf, and tells a finished stream from one cut short.
import type { SseEvent } from '../upstream/sse.ts';
import { anthropicUsage, openaiUsage } from './response-json.ts';
import { anthropicErrorEvent, openaiErrorEvent, type StreamTranslator } from './stream.ts';
import { asObject, type Usage } from './types.ts';

const USAGE_OBJECT = /"usage"\s*:\s*\{/;

export class OpenAIPassthrough implements StreamTranslator {
  usage: Usage | undefined;
  failed = false;
  private done = false;
  private finished = false;

  /** @param hideUsageChunk the client did not ask for usage; the proxy did, for metering */
  constructor(private readonly hideUsageChunk: boolean) {}

  event(ev: SseEvent): string {
    const data = ev.data;
    if (data === '[DONE]') {
      this.done = true;
      return 'data: [DONE]\n\n';
    }
    if (!this.finished && data.includes('"finish_reason":') && !data.includes('"finish_reason":null'))
      this.finished = true;
    if (data.startsWith('{"error"') || ev.event === 'error') this.failed = true;
    else if (USAGE_OBJECT.test(data)) {
      try {
        const chunk = asObject(JSON.parse(data));
        const usage = openaiUsage(chunk.usage);
        if (usage) this.usage = usage;
        if (this.hideUsageChunk && Array.isArray(chunk.choices) && chunk.choices.length === 0) return '';
      } catch {
        // not JSON: relay as is
      }
    }
    return `${ev.raw}\n\n`;
  }

  end(): string | undefined {
    if (this.done) return '';
    // Some OpenAI-compatible servers omit [DONE]; a stream that reached finish_reason is complete.
    return this.finished ? 'data: [DONE]\n\n' : undefined;
  }

  error(message: string, type: string): string {
    return openaiErrorEvent(message, type);
  }
}

export class AnthropicPassthrough implements StreamTranslator {
  usage: Usage | undefined;
  failed = false;
  private done = false;
  private input = { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

  event(ev: SseEvent): string {
    switch (ev.event) {
      case 'message_start':
      case 'message_delta':
        try {
          const data = asObject(JSON.parse(ev.data));
          const u = asObject(ev.event === 'message_start' ? asObject(data.message).usage : data.usage);
          for (const k of Object.keys(this.input) as (keyof typeof this.input)[])
            if (typeof u[k] === 'number') this.input[k] = u[k];
          const output = typeof u.output_tokens === 'number' ? u.output_tokens : (this.usage?.completion ?? 0);
          this.usage = anthropicUsage({ ...this.input, output_tokens: output });
        } catch {
          // relay regardless
        }
        break;
      case 'message_stop':
        this.done = true;
        break;
      case 'error':
        this.failed = true;
        break;
    }
    return `${ev.raw}\n\n`;
  }

  end(): string | undefined {
    return this.done ? '' : undefined;
  }

  error(message: string, type: string): string {
    return anthropicErrorEvent(message, type);
  }
}
