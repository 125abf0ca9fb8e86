// Reasoning effort between the formats. OpenAI says how hard to think with one word
// (`reasoning_effort` in chat, `reasoning.effort` in responses); Anthropic with `thinking`
// (adaptive, or enabled with a token budget) plus `output_config.effort`.
import { asObject, str, type Json } from './types.ts';

export type Effort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
const EFFORTS = new Set<string>(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);

/** What an OpenAI effort becomes in an Anthropic request (fields to merge into it). */
export interface AnthropicThinking {
  thinking?: Json;
  output_config?: Json;
}

/**
 * OpenAI effort -> Anthropic. `none` turns thinking off; `minimal` turns it off and asks for low
 * effort; `low`..`xhigh` turn on adaptive thinking at that effort. Anything else (absent, an
 * unknown word) leaves both fields out: the model's default.
 */
export function effortToAnthropic(effort: unknown): AnthropicThinking {
  if (typeof effort !== 'string' || !EFFORTS.has(effort)) return {};
  if (effort === 'none') return { thinking: { type: 'disabled' } };
  if (effort === 'minimal') return { thinking: { type: 'disabled' }, output_config: { effort: 'low' } };
  return { thinking: { type: 'adaptive' }, output_config: { effort } };
}

/** Budget thresholds for `thinking: {type: "enabled", budget_tokens}` -> an OpenAI effort. */
function budgetToEffort(budget: number): Effort {
  if (budget < 4096) return 'low';
  if (budget < 16_384) return 'medium';
  return 'high';
}

/**
 * Anthropic -> OpenAI effort, or undefined to send none. Only thinking the client turned on
 * explicitly (`enabled` with a budget) is carried: its effort is `output_config.effort` when
 * given (`max` becomes `xhigh`), else the budget's size. Adaptive thinking means "the model
 * decides", which for an OpenAI-format model is its own default: nothing is sent, so a model
 * without reasoning support is never handed a field it rejects (Claude Code always sends
 * adaptive thinking with an effort).
 */
export function anthropicToEffort(body: Json): Effort | undefined {
  const thinking = asObject(body.thinking);
  if (thinking.type !== 'enabled') return undefined;
  const effort = str(asObject(body.output_config).effort);
  if (effort === 'max') return 'xhigh';
  if (effort && EFFORTS.has(effort)) return effort as Effort;
  return typeof thinking.budget_tokens === 'number' ? budgetToEffort(thinking.budget_tokens) : 'medium';
}

/**
 * Whether an Anthropic request may turn thinking on: not when it forces a tool (`any`/`tool`),
 * and not when the last assistant turn called tools without starting with a thinking block
 * (the Messages API refuses both).
 */
export function thinkingAllowed(messages: unknown, toolChoice: unknown): boolean {
  const forced = asObject(toolChoice).type;
  if (forced === 'any' || forced === 'tool') return false;
  const list = Array.isArray(messages) ? (messages as Json[]) : [];
  const last = [...list].reverse().find((m) => m.role === 'assistant');
  const blocks = Array.isArray(last?.content) ? (last.content as Json[]) : [];
  if (!blocks.some((b) => b.type === 'tool_use')) return true;
  return blocks[0]?.type === 'thinking' || blocks[0]?.type === 'redacted_thinking';
}

/**
 * Merges an OpenAI effort into an Anthropic request where allowed; while thinking is on,
 * temperature and top_p are left out (Anthropic accepts neither with thinking).
 */
export function applyEffort(out: Json, effort: unknown): void {
  if (!thinkingAllowed(out.messages, out.tool_choice)) return;
  const t = effortToAnthropic(effort);
  if (t.thinking) out.thinking = t.thinking;
  if (t.output_config) out.output_config = { ...asObject(out.output_config), ...t.output_config };
  if (asObject(t.thinking).type === 'adaptive') {
    delete out.temperature;
    delete out.top_p;
  }
}
