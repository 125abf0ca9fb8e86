// Responses request -> Chat Completions request (Codex and other Responses clients on a server
// that only speaks chat: DeepSeek, llama.cpp, many vLLM and Ollama setups). Rules in
// docs/coding-agents.md; the main ones:
// - instructions and leading system/developer messages become one leading system message (many
//   chat templates accept a system message only first); later ones stay system messages in place;
// - reasoning items are not replayed (chat has no reasoning input);
// - images a tool returned go in a user message right after the tool results (chat tool
//   messages carry text only);
// - max_output_tokens -> max_tokens (what chat-only servers understand), reasoning.effort ->
//   reasoning_effort, text.format -> response_format.
import type { Json } from '../types.ts';
import { asObject, str } from '../types.ts';
import { type Part, readConversation, textOf, type Turn } from './input.ts';
import { assertStateless } from './stateless.ts';
import { readTools, type ToolSet } from './tools.ts';

export interface TranslatedRequest {
  body: Json;
  tools: ToolSet;
  /** Tool and input item types left out (for the x-ai-proxy-dropped-tools header). */
  dropped: string[];
}

function chatContent(parts: Part[]): string | Json[] {
  if (parts.every((p) => p.type === 'text')) return textOf(parts);
  return parts.map((p) => {
    if (p.type === 'text') return { type: 'text', text: p.text };
    if (p.type === 'image') return { type: 'image_url', image_url: { url: p.url } };
    return { type: 'file', file: { file_data: p.dataUrl, ...(p.filename ? { filename: p.filename } : {}) } };
  });
}

function renderMessages(turns: Turn[]): Json[] {
  const out: Json[] = [];
  const leading = turns.filter((t) => t.role === 'system' && t.leading).map((t) => (t as { text: string }).text);
  if (leading.length > 0) out.push({ role: 'system', content: leading.join('\n\n') });
  let pendingImages: Part[] = [];
  const flushImages = () => {
    if (pendingImages.length === 0) return;
    out.push({
      role: 'user',
      content: chatContent([{ type: 'text', text: 'Images returned by the tool calls above:' }, ...pendingImages]),
    });
    pendingImages = [];
  };
  for (const turn of turns) {
    if (turn.role !== 'tool') flushImages();
    switch (turn.role) {
      case 'system':
        if (!turn.leading) out.push({ role: 'system', content: turn.text });
        break;
      case 'user':
        if (turn.parts.length > 0) out.push({ role: 'user', content: chatContent(turn.parts) });
        break;
      case 'assistant': {
        const text = turn.parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');
        const calls = turn.parts.flatMap((p) =>
          p.kind === 'call'
            ? [
                {
                  id: p.call.callId,
                  type: 'function',
                  function: { name: p.call.name, arguments: p.call.arguments || '{}' },
                },
              ]
            : [],
        );
        if (text === '' && calls.length === 0) break;
        const msg: Json = { role: 'assistant', content: text === '' ? null : text };
        if (calls.length > 0) msg.tool_calls = calls;
        out.push(msg);
        break;
      }
      case 'tool':
        out.push({ role: 'tool', tool_call_id: turn.callId, content: textOf(turn.parts) });
        pendingImages.push(...turn.parts.filter((p) => p.type !== 'text'));
        break;
    }
  }
  flushImages();
  return out;
}

function responseFormat(text: unknown): Json | undefined {
  const format = asObject(asObject(text).format);
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type !== 'json_schema') return undefined;
  const schema: Json = { name: str(format.name) ?? 'response', schema: asObject(format.schema) };
  if (typeof format.strict === 'boolean') schema.strict = format.strict;
  if (str(format.description)) schema.description = format.description;
  return { type: 'json_schema', json_schema: schema };
}

/** Throws TranslateError (a 400) for what cannot be translated. */
export function responsesToChatRequest(body: Json, model: string, streamUsage: boolean): TranslatedRequest {
  assertStateless(body, 'a chat-completions provider');
  const conversation = readConversation(body);
  const tools = readTools(body);
  const out: Json = { model, messages: renderMessages(conversation.turns) };
  if (body.stream === true) {
    out.stream = true;
    if (streamUsage) out.stream_options = { include_usage: true };
  }
  if (typeof body.max_output_tokens === 'number') out.max_tokens = body.max_output_tokens;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  const effort = str(asObject(body.reasoning).effort);
  if (effort) out.reasoning_effort = effort;
  const format = responseFormat(body.text);
  if (format) out.response_format = format;
  const user = str(body.safety_identifier) ?? str(body.user);
  if (user) out.user = user;
  if (tools.functions.length > 0) {
    out.tools = tools.functions.map((f) => ({
      type: 'function',
      function: {
        name: f.name,
        ...(f.description ? { description: f.description } : {}),
        parameters: f.parameters,
        ...(f.strict ? { strict: true } : {}),
      },
    }));
    const c = tools.choice;
    if (c) out.tool_choice = c.mode === 'function' ? { type: 'function', function: { name: c.name } } : c.mode;
    if (typeof body.parallel_tool_calls === 'boolean') out.parallel_tool_calls = body.parallel_tool_calls;
  }
  return { body: out, tools, dropped: [...tools.dropped, ...conversation.dropped] };
}
