// Stop reasons between the formats. Anthropic has more reasons than OpenAI: refusal maps to
// content_filter, pause_turn to stop (the turn ended for now), a full context window to length.
const TO_OPENAI: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  pause_turn: 'stop',
  refusal: 'content_filter',
  model_context_window_exceeded: 'length',
};

const TO_ANTHROPIC: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

export function toOpenAIFinish(stopReason: unknown): string | null {
  if (typeof stopReason !== 'string') return null;
  return TO_OPENAI[stopReason] ?? 'stop';
}

export function toAnthropicStop(finishReason: unknown): string | null {
  if (typeof finishReason !== 'string') return null;
  return TO_ANTHROPIC[finishReason] ?? 'end_turn';
}
