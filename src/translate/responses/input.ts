// Responses `instructions` + `input` -> a neutral conversation both request translators render:
// system text (leading or mid-conversation), user parts, assistant parts (reasoning, text, tool
// calls, in their order) and tool results. Consecutive items of one assistant turn (reasoning,
// message, function_call...) form one turn, as Chat and Messages both want.
import { TranslateError } from '../errors.ts';
import { objectsOf, str, type Json } from '../types.ts';
import { type CarriedThinking, uncarryThinking } from './carrier.ts';
import { flatName } from './tools.ts';

export type Part =
  | { type: 'text'; text: string }
  /** A data: URL (base64) or an http(s) URL. */
  | { type: 'image'; url: string }
  /** A file as a data: URL (base64), e.g. a PDF. */
  | { type: 'file'; dataUrl: string; filename: string | undefined };

export interface Call {
  callId: string;
  /** The flat name the target knows (namespace members as `<namespace>__<name>`). */
  name: string;
  arguments: string;
}

export type AssistantPart =
  | { kind: 'text'; text: string }
  | { kind: 'call'; call: Call }
  /** Reasoning we can replay (ours, for Anthropic); other reasoning is left out when read. */
  | { kind: 'thinking'; block: CarriedThinking };

export type Turn =
  | { role: 'system'; text: string; leading: boolean }
  | { role: 'user'; parts: Part[] }
  | { role: 'assistant'; parts: AssistantPart[] }
  | { role: 'tool'; callId: string; parts: Part[] };

export interface Conversation {
  turns: Turn[];
  /** Input item types left out because the target cannot take them (e.g. "web_search_call"). */
  dropped: string[];
}

// Items a hosted tool produced: only the provider that ran the tool understands them.
const HOSTED_ITEMS = new Set([
  'web_search_call',
  'file_search_call',
  'computer_call',
  'computer_call_output',
  'code_interpreter_call',
  'image_generation_call',
  'local_shell_call',
  'local_shell_call_output',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'mcp_call',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'tool_search_call',
  'tool_search_output',
  'compaction',
]);

function imagePart(p: Json, param: string): Part {
  const url = str(p.image_url);
  if (url) return { type: 'image', url };
  throw new TranslateError(
    `${param}: an image by "file_id" needs the Files API, which this provider does not share; send "image_url" (a data: or https URL)`,
    param,
  );
}

function filePart(p: Json, param: string): Part {
  const data = str(p.file_data);
  if (data?.startsWith('data:')) return { type: 'file', dataUrl: data, filename: str(p.filename) };
  throw new TranslateError(
    `${param}: only files sent inline as "file_data" (a data: URL) can be translated for this provider`,
    param,
  );
}

/** Content (a string or parts) -> neutral parts; text of any kind becomes text. */
export function readParts(content: unknown, param: string): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const parts: Part[] = [];
  objectsOf(content).forEach((p, i) => {
    const at = `${param}[${i}]`;
    switch (p.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
      case 'summary_text':
        if (str(p.text)) parts.push({ type: 'text', text: p.text as string });
        break;
      case 'refusal':
        if (str(p.refusal)) parts.push({ type: 'text', text: p.refusal as string });
        break;
      case 'input_image':
        parts.push(imagePart(p, at));
        break;
      case 'input_file':
        parts.push(filePart(p, at));
        break;
      default:
        throw new TranslateError(`${at}: content type "${String(p.type)}" cannot be translated`, at);
    }
  });
  return parts;
}

export function textOf(parts: Part[]): string {
  return parts
    .filter((p) => p.type === 'text')
    .map((p) => p.text)
    .join('\n\n');
}

/** Reads instructions and input. Throws TranslateError for items that need server-side state. */
export function readConversation(body: Json): Conversation {
  const turns: Turn[] = [];
  const dropped: string[] = [];
  let leading = true;
  const assistant = (): AssistantPart[] => {
    const last = turns[turns.length - 1];
    if (last?.role === 'assistant') return last.parts;
    const t: Turn = { role: 'assistant', parts: [] };
    turns.push(t);
    leading = false;
    return t.parts;
  };
  const instructions = str(body.instructions);
  if (instructions) turns.push({ role: 'system', text: instructions, leading: true });
  if (body.input !== undefined && typeof body.input !== 'string' && !Array.isArray(body.input))
    throw new TranslateError('"input" must be a string or a list of input items', 'input', 'invalid_type');
  const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : objectsOf(body.input);
  input.forEach((item, i) => {
    const param = `input[${i}]`;
    const type = str(item.type) ?? (item.role !== undefined ? 'message' : '');
    switch (type) {
      case 'message': {
        const parts = readParts(item.content, `${param}.content`);
        if (item.role === 'system' || item.role === 'developer') {
          const text = textOf(parts);
          if (text) turns.push({ role: 'system', text, leading });
        } else if (item.role === 'user') {
          turns.push({ role: 'user', parts });
          leading = false;
        } else if (item.role === 'assistant') {
          const text = textOf(parts);
          if (text) assistant().push({ kind: 'text', text });
        } else throw new TranslateError(`${param}: unknown role "${String(item.role)}"`, `${param}.role`);
        break;
      }
      case 'function_call':
      case 'custom_tool_call': {
        const name = flatName(str(item.name) ?? '', str(item.namespace));
        const args =
          type === 'custom_tool_call' ? JSON.stringify({ input: str(item.input) ?? '' }) : (str(item.arguments) ?? '');
        assistant().push({ kind: 'call', call: { callId: str(item.call_id) ?? '', name, arguments: args } });
        break;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
        turns.push({ role: 'tool', callId: str(item.call_id) ?? '', parts: readParts(item.output, `${param}.output`) });
        leading = false;
        break;
      case 'reasoning': {
        const block = uncarryThinking(item.encrypted_content);
        if (block) assistant().push({ kind: 'thinking', block });
        break;
      }
      case 'item_reference':
        throw new TranslateError(
          `${param}: "item_reference" points at a stored item, which this provider cannot look up; send the item itself`,
          param,
        );
      default:
        if (HOSTED_ITEMS.has(type)) {
          if (!dropped.includes(type)) dropped.push(type);
        } else throw new TranslateError(`${param}: input item type "${type}" cannot be translated`, `${param}.type`);
    }
  });
  return { turns, dropped };
}
