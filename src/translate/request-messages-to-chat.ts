// Anthropic Messages request -> OpenAI chat request (an Anthropic client using an OpenAI provider).
// Rules beyond the obvious field renames (docs/configuration.md, "Translation"):
// - `role: "system"` messages inside `messages` (Claude Code sends them) stay system messages
//   at their place;
// - thinking the client turned on explicitly -> `reasoning_effort` (anthropicToEffort); thinking
//   blocks in the history are not sent (chat has no reasoning input);
// - `output_config.format` -> `response_format`;
// - `context_management` (server-side editing of the history), `cache_control` markers and the
//   `anthropic-beta` flags have no chat equivalent and are left out.
import { anthropicToEffort } from './reasoning-effort.ts';
import { asArray, asObject, str, type Json } from './types.ts';

function blocksToText(content: unknown): string {
  if (typeof content === 'string') return content;
  return asArray(content)
    .map((b) => (b.type === 'text' ? (str(b.text) ?? '') : ''))
    .join('');
}

function imagePart(block: Json): Json | undefined {
  const src = asObject(block.source);
  if (src.type === 'base64')
    return { type: 'image_url', image_url: { url: `data:${str(src.media_type)};base64,${str(src.data)}` } };
  if (src.type === 'url') return { type: 'image_url', image_url: { url: src.url } };
  return undefined;
}

function convertUser(content: unknown, out: Json[]): void {
  if (typeof content === 'string') {
    out.push({ role: 'user', content });
    return;
  }
  const parts: Json[] = [];
  // tool_result blocks become "tool" messages, which OpenAI wants right after the assistant turn.
  for (const block of asArray(content)) {
    if (block.type === 'tool_result') {
      out.push({ role: 'tool', tool_call_id: str(block.tool_use_id) ?? '', content: blocksToText(block.content) });
    } else if (block.type === 'text') parts.push({ type: 'text', text: str(block.text) ?? '' });
    else if (block.type === 'image') {
      const img = imagePart(block);
      if (img) parts.push(img);
    }
  }
  if (parts.length === 0) return;
  const allText = parts.every((p) => p.type === 'text');
  out.push({ role: 'user', content: allText ? parts.map((p) => p.text).join('') : parts });
}

function convertAssistant(content: unknown, out: Json[]): void {
  if (typeof content === 'string') {
    out.push({ role: 'assistant', content });
    return;
  }
  let text = '';
  const toolCalls: Json[] = [];
  for (const block of asArray(content)) {
    if (block.type === 'text') text += str(block.text) ?? '';
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const msg: Json = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (toolCalls.length > 0) msg.tool_calls = toolCalls;
  out.push(msg);
}

export function messagesToChatRequest(body: Json, model: string): Json {
  const messages: Json[] = [];
  const system = blocksToText(body.system);
  if (system !== '') messages.push({ role: 'system', content: system });
  for (const msg of asArray(body.messages)) {
    if (msg.role === 'assistant') convertAssistant(msg.content, messages);
    else if (msg.role === 'system') {
      const text = blocksToText(msg.content);
      if (text !== '') messages.push({ role: 'system', content: text });
    } else convertUser(msg.content, messages);
  }
  const out: Json = { model, messages };
  if (typeof body.max_tokens === 'number') out.max_tokens = body.max_tokens;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  if (body.stream === true) {
    out.stream = true;
    // The Anthropic stream reports usage in message_delta, so the OpenAI side must send it.
    out.stream_options = { include_usage: true };
  }
  const tools = asArray(body.tools).filter(
    (t) => typeof t.name === 'string' && (t.type === undefined || t.type === 'custom' || t.input_schema),
  );
  if (tools.length > 0) {
    out.tools = tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.input_schema ?? { type: 'object' },
      },
    }));
    const choice = asObject(body.tool_choice);
    if (choice.type === 'auto') out.tool_choice = 'auto';
    else if (choice.type === 'any') out.tool_choice = 'required';
    else if (choice.type === 'none') out.tool_choice = 'none';
    else if (choice.type === 'tool') out.tool_choice = { type: 'function', function: { name: choice.name } };
    if (choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  }
  const user = str(asObject(body.metadata).user_id);
  if (user) out.user = user;
  const effort = anthropicToEffort(body);
  if (effort) out.reasoning_effort = effort;
  const format = asObject(asObject(body.output_config).format);
  if (format.type === 'json_schema')
    out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: asObject(format.schema) } };
  return out;
}
