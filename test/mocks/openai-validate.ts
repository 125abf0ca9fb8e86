// What OpenAI's Chat Completions API (and the servers that copy it) refuse with 400: tool
// messages that answer no call, calls left unanswered, bad tool names. A chat-only server is
// stricter in one more way many of them share: no `developer` role (their chat templates only
// know system, user, assistant and tool).

type J = Record<string, unknown>;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function validateChatRequest(body: J, chatOnly: boolean): string | undefined {
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "'messages' must be a non-empty array";
  const messages = body.messages as J[];
  const roles = chatOnly
    ? ['system', 'user', 'assistant', 'tool']
    : ['system', 'developer', 'user', 'assistant', 'tool'];
  let open = new Set<string>();
  for (const [i, m] of messages.entries()) {
    if (!roles.includes(String(m.role))) return `messages[${i}].role: unsupported role "${String(m.role)}"`;
    if (m.role === 'tool') {
      if (!open.has(String(m.tool_call_id)))
        return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.`;
      open.delete(String(m.tool_call_id));
      continue;
    }
    if (open.size > 0)
      return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`;
    open = new Set(
      m.role === 'assistant' && Array.isArray(m.tool_calls) ? (m.tool_calls as J[]).map((c) => String(c.id)) : [],
    );
  }
  for (const [i, t] of ((body.tools ?? []) as J[]).entries()) {
    const name = (t.function as J | undefined)?.name;
    if (t.type !== 'function' || typeof name !== 'string' || !TOOL_NAME.test(name))
      return `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`;
  }
  if (body.tool_choice !== undefined && !Array.isArray(body.tools))
    return "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.";
  return undefined;
}
