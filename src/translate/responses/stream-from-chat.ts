// Chat Completions stream -> Responses event stream. Responses items come one at a time while
// chat tool calls may interleave by index, so one call streams live and fragments of any other
// are kept, in arrival order, and sent as whole items when the answer ends; text or reasoning
// that arrives while a call is live waits the same way. Nothing is lost, reordered within a call,
// or attached to the wrong call. The answer completes at [DONE] (after the usage chunk the proxy
// asked for), or at a clean end after finish_reason for servers that omit [DONE].
import type { SseEvent } from '../../upstream/sse.ts';
import { openaiUsage } from '../response-json.ts';
import type { StreamTranslator } from '../stream.ts';
import { asObject, objectsOf, str, type Json, type Usage } from '../types.ts';
import type { ToolSet } from './tools.ts';
import { ITEM_OVERHEAD, ResponsesWriter } from './writer.ts';

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

/** Chat finish reasons that end a response early -> Responses incomplete_details.reason. */
export function incompleteFromFinish(finish: unknown): string | undefined {
  if (finish === 'length') return 'max_output_tokens';
  if (finish === 'content_filter') return 'content_filter';
  return undefined;
}

/** The reasoning text of a delta or message: DeepSeek/vLLM `reasoning_content`, or `reasoning`. */
export function reasoningText(o: Json): string {
  return str(o.reasoning_content) ?? str(o.reasoning) ?? '';
}

export class ChatToResponsesStream implements StreamTranslator {
  usage: Usage | undefined;
  failed = false;
  private readonly w: ResponsesWriter;
  private live: number | undefined;
  private readonly seen = new Set<number>();
  private readonly pending = new Map<number, PendingCall>();
  private pendingText = '';
  private pendingReasoning = '';
  /** Characters (and item overheads) of the calls kept whole until the answer ends. */
  private pendingArgs = 0;
  private finishReason: string | undefined;
  private done = false;

  constructor(request: Json, model: string, tools: ToolSet | undefined) {
    this.w = new ResponsesWriter(request, model, tools);
  }

  get held(): number {
    return this.w.held + this.pendingText.length + this.pendingReasoning.length + this.pendingArgs;
  }

  private onReasoning(text: string): string {
    if (this.live !== undefined) {
      this.pendingReasoning += text;
      return '';
    }
    return this.w.reasoning(text);
  }

  private onText(text: string): string {
    if (this.live !== undefined) {
      this.pendingText += text;
      return '';
    }
    return this.w.text(text);
  }

  private onToolFragment(tc: Json): string {
    const index = typeof tc.index === 'number' ? tc.index : 0;
    const fn = asObject(tc.function);
    const args = str(fn.arguments) ?? '';
    if (this.live === index) return this.w.args(args);
    const name = str(fn.name);
    if (this.live === undefined && !this.seen.has(index) && name) {
      this.seen.add(index);
      this.live = index;
      return this.w.openCall(str(tc.id) ?? `call_${index}`, name) + this.w.args(args);
    }
    this.seen.add(index);
    let call = this.pending.get(index);
    if (!call) {
      call = { id: str(tc.id) ?? `call_${index}`, name: name ?? '', args: '' };
      this.pending.set(index, call);
      this.pendingArgs += ITEM_OVERHEAD + call.id.length + call.name.length;
    }
    if (!call.name && name) {
      call.name = name;
      this.pendingArgs += name.length;
    }
    call.args += args;
    this.pendingArgs += args.length;
    return '';
  }

  private finish(): string {
    this.done = true;
    let out = this.w.close();
    for (const call of this.pending.values()) out += this.w.openCall(call.id, call.name) + this.w.args(call.args);
    this.pending.clear();
    this.pendingArgs = 0;
    this.live = undefined;
    if (this.pendingReasoning) out += this.w.reasoning(this.pendingReasoning);
    if (this.pendingText) out += this.w.text(this.pendingText);
    this.pendingReasoning = '';
    this.pendingText = '';
    return out + this.w.finish(this.usage, incompleteFromFinish(this.finishReason));
  }

  event(ev: SseEvent): string {
    if (this.done) return '';
    if (ev.data === '[DONE]') return this.w.start('proxy', undefined) + this.finish();
    let chunk: Json;
    try {
      chunk = asObject(JSON.parse(ev.data));
    } catch {
      return '';
    }
    if (chunk.error) {
      this.failed = true;
      const err = asObject(chunk.error);
      return this.w.fail(str(err.message) ?? 'upstream error', str(err.type) ?? 'api_error', this.usage);
    }
    let out = this.w.start(str(chunk.id) ?? 'proxy', str(chunk.model));
    const usage = openaiUsage(chunk.usage);
    if (usage) this.usage = usage;
    const choice = asObject(objectsOf(chunk.choices)[0]);
    const delta = asObject(choice.delta);
    const reasoning = reasoningText(delta);
    if (reasoning) out += this.onReasoning(reasoning);
    if (typeof delta.content === 'string' && delta.content !== '') out += this.onText(delta.content);
    for (const tc of objectsOf(delta.tool_calls)) out += this.onToolFragment(tc);
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    return out;
  }

  end(): string | undefined {
    if (this.done) return '';
    // Without [DONE] a stream that reached its finish_reason is still complete.
    return this.finishReason !== undefined ? this.finish() : undefined;
  }

  error(message: string, type: string): string {
    return this.w.fail(message, type, this.usage);
  }
}
