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
