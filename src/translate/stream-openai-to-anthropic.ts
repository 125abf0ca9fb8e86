// OpenAI chat.completion.chunk stream -> Anthropic Messages stream.
// Anthropic blocks are sequential (one open at a time) while OpenAI tool calls may interleave by
// index. So one tool call streams live; fragments of any other call are kept, in arrival order,
// and emitted as whole blocks when the live one is over. Nothing is lost, reordered within a
// call, or attached to the wrong call.
import type { SseEvent } from '../upstream/sse.ts';
import { toAnthropicStop } from './stop-reasons.ts';
import { anthropicErrorEvent, type StreamTranslator } from './stream.ts';
import { asArray, asObject, str, type Json, type Usage } from './types.ts';

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

function event(type: string, data: Json): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

export class OpenAIToAnthropicStream implements StreamTranslator {
  usage: Usage | undefined;
  failed = false;
  private started = false;
  private finished = false;
  private stopReason: string | null = null;
  private block = -1;
  /** What the open block is: "text", a tool call's OpenAI index, or undefined when none is open. */
  private open: 'text' | number | undefined;
  private pending = new Map<number, PendingCall>();
  private pendingText = '';
  private cached = 0;

  constructor(private readonly model: string) {}

  private start(id: string, model: string): string {
    this.started = true;
    return event('message_start', {
      message: {
        id: id.startsWith('msg_') ? id : `msg_${id}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
  }

  private close(): string {
    if (this.open === undefined) return '';
    this.open = undefined;
    return event('content_block_stop', { index: this.block });
  }

  private openText(): string {
    let out = this.close();
    this.block++;
    this.open = 'text';
    out += event('content_block_start', { index: this.block, content_block: { type: 'text', text: '' } });
    return out;
  }

  private openTool(index: number, call: PendingCall): string {
    let out = this.close();
    this.block++;
    this.open = index;
    out += event('content_block_start', {
      index: this.block,
      content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
    });
    if (call.args)
      out += event('content_block_delta', {
        index: this.block,
        delta: { type: 'input_json_delta', partial_json: call.args },
      });
    return out;
  }

  private onText(text: string): string {
    if (typeof this.open === 'number') {
      this.pendingText += text;
      return '';
    }
    const out = this.open === 'text' ? '' : this.openText();
    return out + event('content_block_delta', { index: this.block, delta: { type: 'text_delta', text } });
  }

  private onToolFragment(tc: Json): string {
    const index = typeof tc.index === 'number' ? tc.index : 0;
    const fn = asObject(tc.function);
    const args = str(fn.arguments) ?? '';
    if (this.open === index) {
      return args
        ? event('content_block_delta', { index: this.block, delta: { type: 'input_json_delta', partial_json: args } })
        : '';
    }
    let call = this.pending.get(index);
    if (!call) {
      call = { id: str(tc.id) ?? `toolu_${index}`, name: str(fn.name) ?? '', args: '' };
      if (typeof this.open !== 'number' && !this.streamedTools.has(index)) {
        this.streamedTools.add(index);
        return this.openTool(index, { ...call, args });
      }
      this.pending.set(index, call);
    }
    if (!call.name && str(fn.name)) call.name = str(fn.name)!;
    call.args += args;
    return '';
  }

  private streamedTools = new Set<number>();

  private finish(): string {
    this.finished = true;
    let out = this.close();
    for (const [index, call] of this.pending) out += this.openTool(index, call) + this.close();
    this.pending.clear();
    if (this.pendingText) {
      out +=
        this.openText() +
        event('content_block_delta', { index: this.block, delta: { type: 'text_delta', text: this.pendingText } }) +
        this.close();
      this.pendingText = '';
    }
    const u = this.usage ?? { prompt: 0, completion: 0 };
    out += event('message_delta', {
      delta: { stop_reason: this.stopReason ?? 'end_turn', stop_sequence: null },
      usage: {
        input_tokens: u.prompt - this.cached,
        output_tokens: u.completion,
        ...(this.cached ? { cache_read_input_tokens: this.cached } : {}),
      },
    });
    return out + event('message_stop', {});
  }

  event(ev: SseEvent): string {
    if (this.finished) return '';
    if (ev.data === '[DONE]') return (this.started ? '' : this.start('proxy', this.model)) + this.finish();
    let chunk: Json;
    try {
      chunk = asObject(JSON.parse(ev.data));
    } catch {
      return '';
    }
    if (chunk.error) {
      this.failed = true;
      const err = asObject(chunk.error);
      return anthropicErrorEvent(str(err.message) ?? 'upstream error', str(err.type) ?? 'api_error');
    }
    let out = this.started ? '' : this.start(str(chunk.id) ?? 'proxy', str(chunk.model) ?? this.model);
    const usage = asObject(chunk.usage);
    if (typeof usage.prompt_tokens === 'number') {
      const cached = asObject(usage.prompt_tokens_details).cached_tokens;
      this.cached = typeof cached === 'number' ? cached : 0;
      this.usage = {
        prompt: usage.prompt_tokens,
        completion: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0,
        ...(this.cached ? { cached: this.cached } : {}),
      };
    }
    const choice = asObject(asArray(chunk.choices)[0]);
    const delta = asObject(choice.delta);
    if (typeof delta.content === 'string' && delta.content !== '') out += this.onText(delta.content);
    for (const tc of asArray(delta.tool_calls)) out += this.onToolFragment(tc);
    if (typeof choice.finish_reason === 'string') this.stopReason = toAnthropicStop(choice.finish_reason);
    return out;
  }

  end(): string | undefined {
    if (this.finished) return '';
    // Without [DONE] a stream that reached its finish_reason is still complete.
    if (this.stopReason !== null) return this.finish();
    return undefined;
  }

  error(message: string, type: string): string {
    return anthropicErrorEvent(message, type);
  }
}
