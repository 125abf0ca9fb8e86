// An estimate of a Messages request's input tokens, for POST /v1/messages/count_tokens when the
// route's provider is not Anthropic (Anthropic counts exactly; nobody else has that endpoint).
// The rule, documented in docs/coding-agents.md: ASCII text counts a quarter token per
// character and any other character one token (English averages ~4 characters per token in
// both vendors' tokenizers; CJK runs near one per character); each message adds 4 tokens of
// framing, each tool 8 plus its JSON text; an image counts 1,600 tokens (Anthropic's figure for a
// 1.15-megapixel image); other binary blocks count like their base64 text. Thinking blocks of
// earlier turns are not counted (Anthropic strips them from the context too).
import { asArray, asObject, str, type Json } from './types.ts';

export const IMAGE_TOKENS = 1600;
const MESSAGE_TOKENS = 4;
const TOOL_TOKENS = 8;

function textTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) ascii++;
    else if (c < 0xdc00 || c > 0xdfff) other++; // a surrogate pair counts once
  }
  return ascii / 4 + other;
}

function blockTokens(block: Json): number {
  switch (block.type) {
    case 'text':
      return textTokens(str(block.text) ?? '');
    case 'image':
      return IMAGE_TOKENS;
    case 'tool_use':
      return textTokens(str(block.name) ?? '') + textTokens(JSON.stringify(block.input ?? {}));
    case 'tool_result':
      return contentTokens(block.content);
    case 'thinking':
    case 'redacted_thinking':
      return 0;
    default:
      return textTokens(JSON.stringify(asObject(block.source).data ?? block));
  }
}

function contentTokens(content: unknown): number {
  if (typeof content === 'string') return textTokens(content);
  return asArray(content).reduce((n, b) => n + blockTokens(b), 0);
}

/** Estimated input tokens of a Messages request body (a whole number, at least 1). */
export function estimateInputTokens(body: Json): number {
  let n = 0;
  if (body.system !== undefined) n += MESSAGE_TOKENS + contentTokens(body.system);
  for (const m of asArray(body.messages)) n += MESSAGE_TOKENS + contentTokens(m.content);
  for (const t of asArray(body.tools)) {
    n += TOOL_TOKENS + textTokens(`${str(t.name) ?? ''} ${str(t.description) ?? ''}`);
    n += textTokens(JSON.stringify(t.input_schema ?? {}));
  }
  return Math.max(1, Math.ceil(n));
}
