// Anthropic's thinking blocks must go back to Anthropic unmodified, signature included, or the
// next turn of a tool loop fails ("a final assistant message must start with a thinking
// block"). A stateless Responses client (Codex sends store: false and include:
// ["reasoning.encrypted_content"]) replays reasoning items exactly as it got them, so the block
// travels inside the item's `encrypted_content`, marked as ours. Reasoning that is not ours (from
// OpenAI, or without encrypted_content) cannot be verified by Anthropic and is not replayed.
import { asObject, str } from '../types.ts';

const PREFIX = 'aip.v1.';

export type CarriedThinking =
  | { kind: 'thinking'; thinking: string; signature: string }
  | { kind: 'redacted'; data: string };

export function carryThinking(block: CarriedThinking): string {
  return PREFIX + Buffer.from(JSON.stringify(block), 'utf8').toString('base64url');
}

/** The thinking block a reasoning item carries, or undefined when it carries none of ours. */
export function uncarryThinking(encrypted: unknown): CarriedThinking | undefined {
  if (typeof encrypted !== 'string' || !encrypted.startsWith(PREFIX)) return undefined;
  try {
    const o = asObject(JSON.parse(Buffer.from(encrypted.slice(PREFIX.length), 'base64url').toString('utf8')));
    const signature = str(o.signature);
    const thinking = str(o.thinking);
    if (o.kind === 'thinking' && signature !== undefined && thinking !== undefined)
      return { kind: 'thinking', thinking, signature };
    const data = str(o.data);
    if (o.kind === 'redacted' && data !== undefined) return { kind: 'redacted', data };
  } catch {
    // not ours after all
  }
  return undefined;
}
