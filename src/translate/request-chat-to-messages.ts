// OpenAI chat request -> Anthropic Messages request (an OpenAI client using an Anthropic provider).
import { asArray, asObject, parseArguments, str, type Json } from './types.ts';

function textFromContent(content: unknown): string {
  if (typeof content === 'string') return content;
  return asArray(content)
    .map((p) => (p.type === 'text' ? (str(p.text) ?? '') : ''))
    .join('');
}

function imageBlock(part: Json): Json | undefined {
  const url = str(asObject(part.image_url).url) ?? str(part.image_url);
  if (!url) return undefined;
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function userBlocks(content: unknown): Json[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: Json[] = [];
  for (const part of asArray(content)) {
    if (part.type === 'text' && str(part.text)) blocks.push({ type: 'text', text: part.text });
    else if (part.type === 'image_url') {
      const img = imageBlock(part);
      if (img) blocks.push(img);
    }
  }
  return blocks;
}

function assistantBlocks(msg: Json): Json[] {
  const blocks: Json[] = [];
  const text = textFromContent(msg.content);
  if (text !== '') blocks.push({ type: 'text', text });
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

const TOOL_CHOICE: Record<string, Json> = { auto: { type: 'auto' }, none: { type: 'none' }, required: { type: 'any' } };

/** Builds the Anthropic request. `defaultMaxTokens` fills the field Anthropic requires. */
export function chatToMessagesRequest(body: Json, model: string, defaultMaxTokens: number): Json {
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: Json[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    // Anthropic wants alternating roles: consecutive same-role messages merge.
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const msg of asArray(body.messages)) {
    switch (msg.role) {
      case 'system':
      case 'developer':
        system.push(textFromContent(msg.content));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(msg));
        break;
      case 'tool':
      case 'function':
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: str(msg.tool_call_id) ?? str(msg.name) ?? '',
            content: textFromContent(msg.content),
          },
        ]);
        break;
      default:
        push('user', userBlocks(msg.content));
    }
  }
  const out: Json = {
    model,
    messages,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens,
  };
  if (system.length > 0) out.system = system.join('\n\n');
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
      return tool;
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
  return out;
}
