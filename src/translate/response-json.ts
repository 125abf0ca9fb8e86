// Non-streaming responses both ways, and usage extraction from either format.
import { toAnthropicStop, toOpenAIFinish } from './stop-reasons.ts';
import { asArray, asObject, parseArguments, str, type Json, type Usage } from './types.ts';

/** Anthropic usage -> prompt/completion counts; cache reads and writes are prompt tokens too. */
export function anthropicUsage(u: unknown): Usage {
  const o = asObject(u);
  const n = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : 0);
  const cached = n('cache_read_input_tokens');
  const cacheWrite = n('cache_creation_input_tokens');
  return {
    prompt: n('input_tokens') + cacheWrite + cached,
    completion: n('output_tokens'),
    ...(cached ? { cached } : {}),
    ...(cacheWrite ? { cacheWrite } : {}),
  };
}

/** OpenAI usage (chat: prompt/completion_tokens; responses/embeddings: input/output_tokens). */
export function openaiUsage(u: unknown): Usage | undefined {
  const o = asObject(u);
  if (typeof o.prompt_tokens === 'number')
    return withCached(
      { prompt: o.prompt_tokens, completion: typeof o.completion_tokens === 'number' ? o.completion_tokens : 0 },
      o.prompt_tokens_details,
    );
  if (typeof o.input_tokens === 'number')
    return withCached(
      { prompt: o.input_tokens, completion: typeof o.output_tokens === 'number' ? o.output_tokens : 0 },
      o.input_tokens_details,
    );
  return undefined;
}

/** OpenAI reports cache hits as prompt_tokens_details.cached_tokens (input_tokens_details in Responses). */
function withCached(usage: Usage, details: unknown): Usage {
  const cached = asObject(details).cached_tokens;
  return typeof cached === 'number' && cached > 0 ? { ...usage, cached } : usage;
}

export function toOpenAIUsage(u: unknown): Json {
  const usage = anthropicUsage(u);
  const cached = asObject(u).cache_read_input_tokens;
  return {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    ...(typeof cached === 'number' ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
  };
}

/** Anthropic Message -> OpenAI chat.completion. */
export function messageToChatCompletion(msg: Json, created = Math.floor(Date.now() / 1000)): Json {
  let text = '';
  const toolCalls: Json[] = [];
  for (const block of asArray(msg.content)) {
    if (block.type === 'text') text += str(block.text) ?? '';
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const message: Json = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: str(msg.id) ?? 'chatcmpl-proxy',
    object: 'chat.completion',
    created,
    model: msg.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toOpenAIFinish(msg.stop_reason) ?? 'stop' }],
    usage: toOpenAIUsage(msg.usage),
  };
}

/** OpenAI chat.completion -> Anthropic Message. */
export function chatCompletionToMessage(completion: Json): Json {
  const choice = asObject(asArray(completion.choices)[0]);
  const message = asObject(choice.message);
  const content: Json[] = [];
  const text = typeof message.content === 'string' ? message.content : '';
  if (text !== '') content.push({ type: 'text', text });
  for (const call of asArray(message.tool_calls)) {
    const fn = asObject(call.function);
    content.push({ type: 'tool_use', id: call.id, name: fn.name, input: parseArguments(fn.arguments) });
  }
  const u = asObject(completion.usage);
  const cached = asObject(u.prompt_tokens_details).cached_tokens;
  const prompt = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const cachedN = typeof cached === 'number' ? cached : 0;
  const id = str(completion.id) ?? 'proxy';
  return {
    id: id.startsWith('msg_') ? id : `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: toAnthropicStop(choice.finish_reason) ?? 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: prompt - cachedN,
      output_tokens: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0,
      ...(cachedN > 0 ? { cache_read_input_tokens: cachedN } : {}),
    },
  };
}

/** An upstream error body (either format) -> its message and type, for our error shape. */
export function upstreamErrorInfo(text: string): {
  message: string;
  type: string | undefined;
  code: string | undefined;
} {
  try {
    const err = asObject(asObject(JSON.parse(text)).error);
    const message = str(err.message);
    if (message) return { message, type: str(err.type), code: str(err.code) };
  } catch {
    // not JSON: use the text itself
  }
  return { message: text.slice(0, 500) || 'no body', type: undefined, code: undefined };
}
