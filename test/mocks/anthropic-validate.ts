// What the real Messages API refuses with 400 invalid_request_error, for the rules a translating
// proxy can break: required fields, block shapes, tool_use/tool_result pairing, and the thinking
// rules (a signed thinking block first in the last tool-calling assistant turn, no forced tool
// choice and no temperature other than 1 while thinking). Messages are Anthropic's own wording
// where the rule is well known.

type J = Record<string, unknown>;

const BLOCK_TYPES = new Set([
  'text',
  'image',
  'document',
  'tool_use',
  'tool_result',
  'thinking',
  'redacted_thinking',
  'search_result',
]);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

/** The mock's thinking signature: the thinking text, so a modified block is detected. */
export function mockSignature(thinking: string): string {
  return `mocksig.${Buffer.from(thinking, 'utf8').toString('base64')}`;
}

function blocks(content: unknown): J[] {
  return Array.isArray(content) ? (content as J[]) : [];
}

function checkBlock(b: J, where: string): string | undefined {
  if (!BLOCK_TYPES.has(String(b.type))) return `${where}: unknown content block type "${String(b.type)}"`;
  if (b.type === 'text' && (typeof b.text !== 'string' || b.text === ''))
    return `${where}: text content blocks must be non-empty`;
  if (b.type === 'tool_use' && (typeof b.id !== 'string' || typeof b.name !== 'string' || typeof b.input !== 'object'))
    return `${where}: tool_use needs id, name and an input object`;
  if (b.type === 'tool_result' && typeof b.tool_use_id !== 'string') return `${where}: tool_result needs tool_use_id`;
  if (b.type === 'thinking') {
    if (typeof b.thinking !== 'string' || typeof b.signature !== 'string')
      return `${where}: thinking needs thinking and signature`;
    if (!b.signature.startsWith('mocksig.') || (b.thinking !== '' && b.signature !== mockSignature(b.thinking)))
      return `${where}: Invalid \`signature\` in \`thinking\` block`;
  }
  return undefined;
}

function thinkingOn(body: J): boolean {
  const t = (body.thinking ?? {}) as J;
  return t.type === 'enabled' || t.type === 'adaptive';
}

export function validateMessagesRequest(body: J): string | undefined {
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  const messages = body.messages as J[];
  const turns = messages.filter((m) => m.role !== 'system');
  for (const [i, m] of messages.entries()) {
    if (m.role !== 'user' && m.role !== 'assistant' && m.role !== 'system')
      return `messages.${i}.role: Input should be 'user', 'assistant' or 'system'`;
    if (typeof m.content === 'string') continue;
    if (!Array.isArray(m.content) || m.content.length === 0) return `messages.${i}.content: must be non-empty`;
    for (const [j, b] of blocks(m.content).entries()) {
      const err = checkBlock(b, `messages.${i}.content.${j}`);
      if (err) return err;
    }
  }
  for (const [i, m] of turns.entries()) {
    const uses = blocks(m.content).filter((b) => b.type === 'tool_use');
    if (m.role !== 'assistant' || uses.length === 0) continue;
    const next = blocks(turns[i + 1]?.content);
    const results = new Set(next.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id));
    for (const u of uses)
      if (i + 1 < turns.length && !results.has(u.id))
        return `messages: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${String(u.id)}`;
    const firstOther = next.findIndex((b) => b.type !== 'tool_result');
    if (firstOther !== -1 && next.slice(firstOther).some((b) => b.type === 'tool_result'))
      return 'messages: tool_result blocks must come first in the user message';
  }
  for (const [i, m] of turns.entries()) {
    const prev = turns[i - 1];
    const ids = new Set(blocks(prev?.content).map((b) => b.id));
    for (const r of blocks(m.content).filter((b) => b.type === 'tool_result'))
      if (prev?.role !== 'assistant' || !ids.has(r.tool_use_id))
        return `messages: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(r.tool_use_id)}`;
  }
  for (const [i, t] of ((body.tools ?? []) as J[]).entries()) {
    if (typeof t.name !== 'string' || !TOOL_NAME.test(t.name)) return `tools.${i}.name: String should match pattern`;
    if (t.type === undefined && ((t.input_schema ?? {}) as J).type !== 'object')
      return `tools.${i}.input_schema.type: Input should be 'object'`;
  }
  if (thinkingOn(body)) {
    const choice = ((body.tool_choice ?? {}) as J).type;
    if (choice === 'any' || choice === 'tool') return 'Thinking may not be enabled when tool_choice forces tool use.';
    if (typeof body.temperature === 'number' && body.temperature !== 1)
      return '`temperature` may only be set to 1 when thinking is enabled.';
    const last = [...turns].reverse().find((m) => m.role === 'assistant');
    const lastBlocks = blocks(last?.content);
    if (lastBlocks.some((b) => b.type === 'tool_use')) {
      const first = lastBlocks[0]?.type;
      if (first !== 'thinking' && first !== 'redacted_thinking')
        return 'messages: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block.';
    }
  }
  return undefined;
}
