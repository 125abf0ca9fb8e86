// Responses request -> Anthropic Messages request (Codex and other Responses clients on Claude).
// Rules in docs/coding-agents.md; the main ones:
// - instructions and leading system/developer messages -> top-level `system`; later ones stay
//   `role: "system"` messages in place (the Messages API takes them mid-conversation);
// - reasoning items we produced carry Anthropic's signed thinking blocks and are replayed as
//   such; other reasoning is not;
// - reasoning.effort -> adaptive thinking at that effort (applyEffort: left off when the request
//   forces a tool or the last assistant turn called tools without a thinking block, which
//   Anthropic would refuse; temperature and top_p are left off while thinking is on);
// - top-level `cache_control` asks Anthropic to cache the prompt up to its last block: OpenAI
//   caches prompts automatically, and an agent loop without it pays full price every turn;
// - max_output_tokens -> max_tokens (the server's default_max_tokens when absent);
// - text.format json_schema / json_object -> output_config.format.
import { applyEffort } from '../reasoning-effort.ts';
import { asObject, parseArguments, str, type Json } from '../types.ts';
import { type AssistantPart, type Part, readConversation, type Turn } from './input.ts';
import type { TranslatedRequest } from './request-to-chat.ts';
import { assertStateless } from './stateless.ts';
import { readTools } from './tools.ts';

function dataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1]!, data: m[2]! } : undefined;
}

function block(p: Part): Json {
  if (p.type === 'text') return { type: 'text', text: p.text };
  if (p.type === 'image') {
    const d = dataUrl(p.url);
    return {
      type: 'image',
      source: d ? { type: 'base64', media_type: d.mediaType, data: d.data } : { type: 'url', url: p.url },
    };
  }
  const d = dataUrl(p.dataUrl);
  return {
    type: 'document',
    source: { type: 'base64', media_type: d?.mediaType ?? 'application/pdf', data: d?.data ?? '' },
    ...(p.filename ? { title: p.filename } : {}),
  };
}

function assistantBlock(p: AssistantPart): Json {
  if (p.kind === 'text') return { type: 'text', text: p.text };
  if (p.kind === 'call')
    return { type: 'tool_use', id: p.call.callId, name: p.call.name, input: parseArguments(p.call.arguments) };
  return p.block.kind === 'thinking'
    ? { type: 'thinking', thinking: p.block.thinking, signature: p.block.signature }
    : { type: 'redacted_thinking', data: p.block.data };
}

interface Rendered {
  system: Json[];
  messages: { role: string; content: Json[] | string }[];
}

function render(turns: Turn[]): Rendered {
  const system: Json[] = [];
  const messages: Rendered['messages'] = [];
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    // Anthropic wants alternating roles: consecutive same-role turns merge.
    if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const turn of turns) {
    if (turn.role === 'system') {
      if (turn.leading) system.push({ type: 'text', text: turn.text });
      else messages.push({ role: 'system', content: turn.text });
    } else if (turn.role === 'user') push('user', turn.parts.map(block));
    else if (turn.role === 'assistant') push('assistant', turn.parts.map(assistantBlock));
    else {
      const content = turn.parts.every((p) => p.type === 'text')
        ? turn.parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n\n')
        : turn.parts.map(block);
      push('user', [{ type: 'tool_result', tool_use_id: turn.callId, content }]);
    }
  }
  return { system, messages };
}

function outputFormat(text: unknown): Json | undefined {
  const format = asObject(asObject(text).format);
  if (format.type === 'json_schema') return { type: 'json_schema', schema: asObject(format.schema) };
  // "Any JSON object" is exactly what json_object mode promises.
  if (format.type === 'json_object') return { type: 'json_schema', schema: { type: 'object' } };
  return undefined;
}

/** Throws TranslateError (a 400) for what cannot be translated. */
export function responsesToMessagesRequest(body: Json, model: string, defaultMaxTokens: number): TranslatedRequest {
  assertStateless(body, 'an Anthropic provider');
  const conversation = readConversation(body);
  const tools = readTools(body);
  const { system, messages } = render(conversation.turns);
  const out: Json = {
    model,
    messages,
    max_tokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : defaultMaxTokens,
    cache_control: { type: 'ephemeral' },
  };
  if (system.length > 0) out.system = system;
  if (body.stream === true) out.stream = true;
  const format = outputFormat(body.text);
  if (format) out.output_config = { format };
  if (typeof body.temperature === 'number') out.temperature = Math.min(1, body.temperature);
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  const user = str(body.safety_identifier) ?? str(body.user);
  if (user) out.metadata = { user_id: user };
  if (tools.functions.length > 0) {
    out.tools = tools.functions.map((f) => ({
      name: f.name,
      ...(f.description ? { description: f.description } : {}),
      input_schema: f.parameters,
      ...(f.strict ? { strict: true } : {}),
    }));
    const c = tools.choice;
    let choice: Json | undefined;
    if (c?.mode === 'function') choice = { type: 'tool', name: c.name };
    else if (c) choice = { type: c.mode === 'required' ? 'any' : c.mode };
    if (body.parallel_tool_calls === false)
      choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
    if (choice) out.tool_choice = choice;
  }
  applyEffort(out, asObject(body.reasoning).effort);
  return { body: out, tools, dropped: [...tools.dropped, ...conversation.dropped] };
}
