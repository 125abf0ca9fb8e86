// Writes the Responses event stream from calls a translator makes as the upstream's answer
// arrives: items open, grow and close one at a time, and every event carries the next
// sequence_number. The translators (from Chat chunks, from Messages events) and the JSON
// translations all build their output through this one writer, so a streamed answer and a
// non-streamed one hold the same items. The event shapes follow the openai package's
// resources/responses type files and what its ResponseStream accumulator checks.
import { parseArguments, str, type Json, type Usage } from '../types.ts';
import { ResponseShell } from './response-object.ts';
import { originOf, type ToolSet } from './tools.ts';

type Open =
  | { kind: 'message'; id: string; index: number; text: string }
  | { kind: 'function'; id: string; index: number; callId: string; name: string; namespace?: string; args: string }
  | { kind: 'custom'; id: string; index: number; callId: string; name: string; namespace?: string; args: string }
  | { kind: 'reasoning'; id: string; index: number; text: string; partOpen: boolean };

/** What an output item costs besides its text (its object, ids, name), counted in `held`. */
export const ITEM_OVERHEAD = 256;

export class ResponsesWriter {
  readonly output: Json[] = [];
  started = false;
  /** Characters of item text, arguments, reasoning and carried thinking kept for the final events. */
  held = 0;
  private seq = 0;
  private open: Open | undefined;
  private nextItem = 0;
  private readonly shell: ResponseShell;

  constructor(
    request: Json,
    model: string,
    private readonly tools: ToolSet | undefined,
  ) {
    this.shell = new ResponseShell('resp_proxy', model, request);
  }

  private event(type: string, fields: Json): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: this.seq++ })}\n\n`;
  }

  private responseEvent(type: string, response: string): string {
    return `event: ${type}\ndata: {"type":${JSON.stringify(type)},"response":${response},"sequence_number":${this.seq++}}\n\n`;
  }

  /** response.created and response.in_progress; `id` is the upstream's answer id. */
  start(id: string, model: string | undefined): string {
    if (this.started) return '';
    this.started = true;
    this.shell.id = id.startsWith('resp_') ? id : `resp_${id}`;
    if (model) this.shell.model = model;
    const json = this.shell.json({ status: 'in_progress', output: [], usage: undefined });
    return this.responseEvent('response.created', json) + this.responseEvent('response.in_progress', json);
  }

  private itemId(prefix: string): string {
    return `${prefix}_${this.shell.id.slice(5)}_${this.nextItem}`;
  }

  private add(item: Json): string {
    return this.event('response.output_item.added', { output_index: this.output.length, item });
  }

  get openKind(): Open['kind'] | undefined {
    return this.open?.kind;
  }

  openMessage(): string {
    let out = this.close();
    const id = this.itemId('msg');
    this.nextItem++;
    this.open = { kind: 'message', id, index: this.output.length, text: '' };
    out += this.add({ id, type: 'message', status: 'in_progress', role: 'assistant', content: [] });
    out += this.event('response.content_part.added', {
      item_id: id,
      output_index: this.open.index,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
    return out;
  }

  text(delta: string): string {
    if (delta === '') return '';
    const out = this.open?.kind === 'message' ? '' : this.openMessage();
    const o = this.open as Extract<Open, { kind: 'message' }>;
    o.text += delta;
    this.held += delta.length;
    return (
      out +
      this.event('response.output_text.delta', {
        item_id: o.id,
        output_index: o.index,
        content_index: 0,
        delta,
        logprobs: [],
      })
    );
  }

  /** Opens a tool call item; `name` is what the target called (flat), mapped back here. */
  openCall(callId: string, name: string): string {
    let out = this.close();
    const origin = originOf(this.tools, name);
    const index = this.output.length;
    this.nextItem++;
    const ns = origin.namespace ? { namespace: origin.namespace } : {};
    if (origin.kind === 'custom') {
      const id = `ctc_${callId}`;
      this.open = { kind: 'custom', id, index, callId, name: origin.name, ...ns, args: '' };
      out += this.add({
        id,
        type: 'custom_tool_call',
        status: 'in_progress',
        call_id: callId,
        name: origin.name,
        ...ns,
        input: '',
      });
    } else {
      const id = `fc_${callId}`;
      this.open = { kind: 'function', id, index, callId, name: origin.name, ...ns, args: '' };
      out += this.add({
        id,
        type: 'function_call',
        status: 'in_progress',
        call_id: callId,
        name: origin.name,
        ...ns,
        arguments: '',
      });
    }
    return out;
  }

  /** A piece of the open call's JSON arguments. */
  args(delta: string): string {
    const o = this.open;
    if (delta === '' || !o || (o.kind !== 'function' && o.kind !== 'custom')) return '';
    o.args += delta;
    this.held += delta.length;
    // A custom tool's input is one JSON string value: it is sent whole when the call ends.
    if (o.kind === 'custom') return '';
    return this.event('response.function_call_arguments.delta', { item_id: o.id, output_index: o.index, delta });
  }

  openReasoning(): string {
    let out = this.close();
    const id = this.itemId('rs');
    this.nextItem++;
    this.open = { kind: 'reasoning', id, index: this.output.length, text: '', partOpen: false };
    out += this.add({ id, type: 'reasoning', summary: [] });
    return out;
  }

  reasoning(delta: string): string {
    if (delta === '') return '';
    let out = this.open?.kind === 'reasoning' ? '' : this.openReasoning();
    const o = this.open as Extract<Open, { kind: 'reasoning' }>;
    const at = { item_id: o.id, output_index: o.index, summary_index: 0 };
    if (!o.partOpen) {
      o.partOpen = true;
      out += this.event('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } });
    }
    o.text += delta;
    this.held += delta.length;
    return out + this.event('response.reasoning_summary_text.delta', { ...at, delta });
  }

  /** Closes the open item, if any; `encrypted` is the open reasoning item's encrypted_content. */
  close(encrypted?: string): string {
    const o = this.open;
    if (!o) return '';
    this.open = undefined;
    this.held +=
      ITEM_OVERHEAD +
      (encrypted?.length ?? 0) +
      (o.kind === 'function' || o.kind === 'custom' ? o.name.length + o.callId.length : 0);
    let out = '';
    let item: Json;
    if (o.kind === 'message') {
      const part = { type: 'output_text', text: o.text, annotations: [], logprobs: [] };
      const at = { item_id: o.id, output_index: o.index, content_index: 0 };
      out += this.event('response.output_text.done', { ...at, text: o.text, logprobs: [] });
      out += this.event('response.content_part.done', { ...at, part });
      item = { id: o.id, type: 'message', status: 'completed', role: 'assistant', content: [part] };
    } else if (o.kind === 'function') {
      const ns = o.namespace ? { namespace: o.namespace } : {};
      const args = o.args === '' ? '{}' : o.args;
      out += this.event('response.function_call_arguments.done', {
        item_id: o.id,
        output_index: o.index,
        name: o.name,
        arguments: args,
      });
      item = {
        id: o.id,
        type: 'function_call',
        status: 'completed',
        call_id: o.callId,
        name: o.name,
        ...ns,
        arguments: args,
      };
    } else if (o.kind === 'custom') {
      const ns = o.namespace ? { namespace: o.namespace } : {};
      const parsed = parseArguments(o.args);
      const input = str(parsed.input) ?? str(parsed._raw_arguments) ?? o.args;
      const at = { item_id: o.id, output_index: o.index };
      if (input !== '') out += this.event('response.custom_tool_call_input.delta', { ...at, delta: input });
      out += this.event('response.custom_tool_call_input.done', { ...at, input });
      item = { id: o.id, type: 'custom_tool_call', status: 'completed', call_id: o.callId, name: o.name, ...ns, input };
    } else {
      const at = { item_id: o.id, output_index: o.index, summary_index: 0 };
      const summary = o.partOpen ? [{ type: 'summary_text', text: o.text }] : [];
      if (o.partOpen) {
        out += this.event('response.reasoning_summary_text.done', { ...at, text: o.text });
        out += this.event('response.reasoning_summary_part.done', { ...at, part: summary[0] });
      }
      item = { id: o.id, type: 'reasoning', summary, ...(encrypted ? { encrypted_content: encrypted } : {}) };
    }
    this.output.push(item);
    return out + this.event('response.output_item.done', { output_index: o.index, item });
  }

  /** response.completed, or response.incomplete when `incompleteReason` is set. */
  finish(usage: Usage | undefined, incompleteReason?: string): string {
    const out = this.close();
    const status = incompleteReason ? 'incomplete' : 'completed';
    const json = this.shell.json({ status, output: this.output, usage, incompleteReason });
    return out + this.responseEvent(incompleteReason ? 'response.incomplete' : 'response.completed', json);
  }

  /** An `error` event and response.failed: the upstream failed after the stream began. */
  fail(message: string, code: string, usage: Usage | undefined): string {
    let out = this.started ? '' : this.start('resp_failed', undefined);
    out += this.event('error', { code, message, param: null });
    const json = this.shell.json({
      status: 'failed',
      output: this.output,
      usage,
      error: { code: 'server_error', message },
    });
    return out + this.responseEvent('response.failed', json);
  }

  /** The Response object (non-streaming answers). */
  response(usage: Usage | undefined, incompleteReason?: string): Json {
    this.close();
    const status = incompleteReason ? 'incomplete' : 'completed';
    return JSON.parse(this.shell.json({ status, output: this.output, usage, incompleteReason })) as Json;
  }
}
