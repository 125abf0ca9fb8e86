// Anthropic Messages stream -> Responses event stream, event by event. Blocks are sequential in
// both formats: text -> a message item, tool_use -> a function_call (or custom_tool_call) item,
// thinking -> a reasoning item whose encrypted_content carries the signed block for the next
// turn. Usage is exact: message_start's input and cache counts, message_delta's cumulative
// output (with thinking tokens as reasoning tokens).
import type { SseEvent } from '../../upstream/sse.ts';
import { anthropicUsage } from '../response-json.ts';
import type { StreamTranslator } from '../stream.ts';
import { asObject, str, type Json, type Usage } from '../types.ts';
import { carryThinking } from './carrier.ts';
import type { ToolSet } from './tools.ts';
import { ResponsesWriter } from './writer.ts';

type BlockKind = 'text' | 'tool' | 'thinking' | 'redacted' | 'other';

/** Anthropic stop reasons that end a response early -> Responses incomplete_details.reason. */
export function incompleteFromStop(stopReason: unknown): string | undefined {
  if (stopReason === 'max_tokens' || stopReason === 'model_context_window_exceeded') return 'max_output_tokens';
  if (stopReason === 'refusal') return 'content_filter';
  return undefined;
}

/** Merges a usage object's counts (and output_tokens_details) into the running usage. */
export function mergeAnthropicUsage(into: Json, u: unknown): void {
  for (const [k, v] of Object.entries(asObject(u)))
    if (typeof v === 'number' || (k === 'output_tokens_details' && v && typeof v === 'object')) into[k] = v;
}

export class MessagesToResponsesStream implements StreamTranslator {
  usage: Usage | undefined;
  failed = false;
  private readonly w: ResponsesWriter;
  private readonly raw: Json = {};
  private kind: BlockKind = 'other';
  private thinking = '';
  private signature = '';
  private redacted = '';
  private stopReason: unknown;
  private done = false;

  constructor(request: Json, model: string, tools: ToolSet | undefined) {
    this.w = new ResponsesWriter(request, model, tools);
  }

  /** The writer's items, and the open thinking block kept whole to carry it to the next turn. */
  get held(): number {
    return this.w.held + this.thinking.length + this.signature.length + this.redacted.length;
  }

  private mergeUsage(u: unknown): void {
    mergeAnthropicUsage(this.raw, u);
    this.usage = anthropicUsage(this.raw);
  }

  private blockStart(block: Json): string {
    let out = this.w.close();
    switch (block.type) {
      case 'text':
        this.kind = 'text';
        return out + this.w.text(str(block.text) ?? '');
      case 'tool_use': {
        this.kind = 'tool';
        out += this.w.openCall(str(block.id) ?? '', str(block.name) ?? '');
        const input = asObject(block.input);
        return Object.keys(input).length > 0 ? out + this.w.args(JSON.stringify(input)) : out;
      }
      case 'thinking':
        this.kind = 'thinking';
        this.thinking = '';
        this.signature = str(block.signature) ?? '';
        return out + this.w.openReasoning() + this.onThinking(str(block.thinking) ?? '');
      case 'redacted_thinking':
        this.kind = 'redacted';
        this.redacted = str(block.data) ?? '';
        return out + this.w.openReasoning();
      default:
        // Server tool blocks and the like: nothing a Responses client could act on.
        this.kind = 'other';
        return out;
    }
  }

  private onThinking(text: string): string {
    this.thinking += text;
    return this.w.reasoning(text);
  }

  private blockDelta(delta: Json): string {
    switch (delta.type) {
      case 'text_delta':
        return this.kind === 'text' ? this.w.text(str(delta.text) ?? '') : '';
      case 'input_json_delta':
        return this.kind === 'tool' ? this.w.args(str(delta.partial_json) ?? '') : '';
      case 'thinking_delta':
        return this.kind === 'thinking' ? this.onThinking(str(delta.thinking) ?? '') : '';
      case 'signature_delta':
        this.signature += str(delta.signature) ?? '';
        return '';
      default:
        return '';
    }
  }

  private blockStop(): string {
    const kind = this.kind;
    this.kind = 'other';
    let carried: string | undefined;
    if (kind === 'thinking')
      carried = carryThinking({ kind: 'thinking', thinking: this.thinking, signature: this.signature });
    else if (kind === 'redacted') carried = carryThinking({ kind: 'redacted', data: this.redacted });
    // The block now lives in the item's encrypted_content (counted there).
    this.thinking = '';
    this.signature = '';
    this.redacted = '';
    return this.w.close(carried);
  }

  event(ev: SseEvent): string {
    if (this.done || ev.event === 'ping' || ev.data === '') return '';
    let data: Json;
    try {
      data = asObject(JSON.parse(ev.data));
    } catch {
      return '';
    }
    switch (ev.event || data.type) {
      case 'message_start': {
        const msg = asObject(data.message);
        this.mergeUsage(msg.usage);
        return this.w.start(str(msg.id) ?? 'proxy', str(msg.model));
      }
      case 'content_block_start':
        return this.w.start('proxy', undefined) + this.blockStart(asObject(data.content_block));
      case 'content_block_delta':
        return this.blockDelta(asObject(data.delta));
      case 'content_block_stop':
        return this.blockStop();
      case 'message_delta':
        this.mergeUsage(data.usage);
        this.stopReason = asObject(data.delta).stop_reason ?? this.stopReason;
        return '';
      case 'message_stop':
        this.done = true;
        return this.w.start('proxy', undefined) + this.w.finish(this.usage, incompleteFromStop(this.stopReason));
      case 'error': {
        this.failed = true;
        const err = asObject(data.error);
        return this.w.fail(str(err.message) ?? 'upstream error', str(err.type) ?? 'api_error', this.usage);
      }
      default:
        return '';
    }
  }

  end(): string | undefined {
    return this.done ? '' : undefined;
  }

  error(message: string, type: string): string {
    return this.w.fail(message, type, this.usage);
  }
}
