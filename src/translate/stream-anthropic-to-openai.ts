// Anthropic Messages stream -> OpenAI chat.completion.chunk stream, event by event.
// Tool-use blocks become tool_calls with their own stable index (0, 1, ...) in block order.
import type { SseEvent } from '../upstream/sse.ts';
import { anthropicUsage, toOpenAIUsage } from './response-json.ts';
import { toOpenAIFinish } from './stop-reasons.ts';
import { openaiErrorEvent, type StreamTranslator } from './stream.ts';
import { asObject, str, type Json, type Usage } from './types.ts';

export class AnthropicToOpenAIStream implements StreamTranslator {
  usage: Usage | undefined;
  failed = false;
  private id = 'chatcmpl-proxy';
  private model: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private toolIndex = new Map<number, number>();
  private nextTool = 0;
  private rawUsage: Json = {};
  private done = false;

  constructor(
    model: string,
    private readonly includeUsage: boolean,
  ) {
    this.model = model;
  }

  private chunk(delta: Json, finish: string | null = null): string {
    return `data: ${JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })}\n\n`;
  }

  private mergeUsage(u: unknown): void {
    const o = asObject(u);
    for (const [k, v] of Object.entries(o)) if (typeof v === 'number') this.rawUsage[k] = v;
    this.usage = anthropicUsage(this.rawUsage);
  }

  event(ev: SseEvent): string {
    if (ev.event === 'ping' || ev.data === '') return '';
    let data: Json;
    try {
      data = asObject(JSON.parse(ev.data));
    } catch {
      return '';
    }
    switch (ev.event || data.type) {
      case 'message_start': {
        const msg = asObject(data.message);
        this.id = str(msg.id) ?? this.id;
        this.model = str(msg.model) ?? this.model;
        this.mergeUsage(msg.usage);
        return this.chunk({ role: 'assistant', content: '' });
      }
      case 'content_block_start': {
        const block = asObject(data.content_block);
        const index = Number(data.index);
        if (block.type === 'tool_use') {
          const toolIndex = this.nextTool++;
          this.toolIndex.set(index, toolIndex);
          return this.chunk({
            tool_calls: [
              { index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
            ],
          });
        }
        if (block.type === 'text' && str(block.text)) return this.chunk({ content: block.text });
        return '';
      }
      case 'content_block_delta': {
        const delta = asObject(data.delta);
        if (delta.type === 'text_delta') return this.chunk({ content: str(delta.text) ?? '' });
        if (delta.type === 'input_json_delta') {
          const toolIndex = this.toolIndex.get(Number(data.index));
          if (toolIndex === undefined || !str(delta.partial_json)) return '';
          return this.chunk({ tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] });
        }
        return '';
      }
      case 'message_delta': {
        this.mergeUsage(data.usage);
        const finish = toOpenAIFinish(asObject(data.delta).stop_reason);
        return finish ? this.chunk({}, finish) : '';
      }
      case 'message_stop': {
        this.done = true;
        let out = '';
        if (this.includeUsage) {
          out += `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: toOpenAIUsage(this.rawUsage) })}\n\n`;
        }
        return `${out}data: [DONE]\n\n`;
      }
      case 'error': {
        this.failed = true;
        const err = asObject(data.error);
        return openaiErrorEvent(str(err.message) ?? 'upstream error', str(err.type) ?? 'api_error');
      }
      default:
        return '';
    }
  }

  end(): string | undefined {
    return this.done ? '' : undefined;
  }

  error(message: string, type: string): string {
    return openaiErrorEvent(message, type);
  }
}
