// OpenAI chat request -> Anthropic Messages request (an OpenAI client using an Anthropic provider).
// Rules beyond the obvious field renames (docs/configuration.md, "Translation"):
// - leading system/developer messages -> top-level `system`; later ones stay `role: "system"`
//   messages in place (the Messages API takes them mid-conversation);
// - `cache_control` markers (on content parts, on a message, on a tool) are kept: dropping them
//   silently turns every cached prompt into a full-price one;
// - `reasoning_effort` -> adaptive thinking at that effort (applyEffort).
import { applyEffort } from './reasoning-effort.ts';
import { asArray, asObject, parseArguments, str, type Json } from './types.ts';

function textFromContent(content: unknown): string {
  if (typeof content === 'string') return content;
  return asArray(content)
    .map((p) => (p.type === 'text' ? (str(p.text) ?? '') : ''))
    .join('');
}

/** A part's cache_control, copied onto the block made from it. */
function withCache(block: Json, from: Json): Json {
  return from.cache_control ? { ...block, cache_control: from.cache_control } : block;
}

function imageBlock(part: Json): Json | undefined {
  const url = str(asObject(part.image_url).url) ?? str(part.image_url);
  if (!url) return undefined;
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function textBlocks(content: unknown): Json[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: Json[] = [];
  for (const part of asArray(content)) {
    if (part.type === 'text' && str(part.text)) blocks.push(withCache({ type: 'text', text: part.text }, part));
    else if (part.type === 'image_url') {
      const img = imageBlock(part);
      if (img) blocks.push(withCache(img, part));
    }
  }
  return blocks;
}

/** A message-level cache_control marks the message's last block. */
function markLast(blocks: Json[], msg: Json): Json[] {
  if (!msg.cache_control || blocks.length === 0) return blocks;
  return [...blocks.slice(0, -1), { ...blocks[blocks.length - 1], cache_control: msg.cache_control }];
}

function assistantBlocks(msg: Json): Json[] {
  const blocks = textBlocks(typeof msg.content === 'string' || Array.isArray(msg.content) ? msg.content : '');
  for (const call of asArray(msg.tool_calls)) {
    const fn = asObject(call.function);
    blocks.push({
      type: 'tool_use',
      id: str(call.id) ?? '',
      name: str(fn.name) ?? '',
      input: parseArguments(fn.arguments),
    });
  }
  return blocks;
}

function toolResult(msg: Json): Json {
  const blocks = Array.isArray(msg.content) ? (msg.content as Json[]) : [];
  const cached = msg.cache_control ?? blocks.find((b) => b.cache_control)?.cache_control;
  const result: Json = {
    type: 'tool_result',
    tool_use_id: str(msg.tool_call_id) ?? str(msg.name) ?? '',
    content: textFromContent(msg.content),
  };
  return cached ? { ...result, cache_control: cached } : result;
}

const TOOL_CHOICE: Record<string, Json> = { auto: { type: 'auto' }, none: { type: 'none' }, required: { type: 'any' } };

/** Builds the Anthropic request. `defaultMaxTokens` fills the field Anthropic requires. */
export function chatToMessagesRequest(body: Json, model: string, defaultMaxTokens: number): Json {
  const system: Json[] = [];
  const messages: { role: 'user' | 'assistant' | 'system'; content: Json[] | string }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    // Anthropic wants alternating roles: consecutive same-role messages merge.
    if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const msg of asArray(body.messages)) {
    switch (msg.role) {
      case 'system':
      case 'developer': {
        const blocks = markLast(textBlocks(msg.content), msg);
        if (messages.length === 0) system.push(...blocks);
        else if (blocks.length > 0) messages.push({ role: 'system', content: blocks });
        break;
      }
      case 'assistant':
        push('assistant', markLast(assistantBlocks(msg), msg));
        break;
      case 'tool':
      case 'function':
        push('user', [toolResult(msg)]);
        break;
      default:
        push('user', markLast(textBlocks(msg.content), msg));
    }
  }
  const out: Json = {
    model,
    messages,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens,
  };
  // A plain string unless a block is marked for caching, which only blocks can carry.
  if (system.length > 0)
    out.system = system.some((b) => b.cache_control) ? system : system.map((b) => str(b.text) ?? '').join('\n\n');
  if (typeof body.temperature === 'number') out.temperature = Math.min(1, body.temperature);
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (typeof body.stop === 'string') out.stop_sequences = [body.stop];
  else if (Array.isArray(body.stop)) out.stop_sequences = body.stop;
  if (body.stream === true) out.stream = true;
  const tools = asArray(body.tools).filter((t) => t.type === 'function' || t.function);
  if (tools.length > 0) {
    out.tools = tools.map((t) => {
      const fn = asObject(t.function);
      const tool: Json = { name: fn.name, input_schema: fn.parameters ?? { type: 'object', properties: {} } };
      if (fn.description !== undefined) tool.description = fn.description;
      if (fn.strict === true) tool.strict = true;
      return withCache(tool, t);
    });
  }
  let choice: Json | undefined;
  if (typeof body.tool_choice === 'string') choice = TOOL_CHOICE[body.tool_choice];
  else if (body.tool_choice && typeof body.tool_choice === 'object') {
    choice = { type: 'tool', name: asObject(asObject(body.tool_choice).function).name };
  }
  if (body.parallel_tool_calls === false && tools.length > 0)
    choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  if (choice && tools.length > 0) out.tool_choice = choice;
  if (typeof body.user === 'string') out.metadata = { user_id: body.user };
  applyEffort(out, body.reasoning_effort);
  return out;
}
