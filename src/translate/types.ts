// Loose views of the two wire formats: only the fields translation reads. The official SDKs' type
// files (the openai and @anthropic-ai/sdk packages) are the reference; bodies stay plain JSON objects.
export type Json = Record<string, unknown>;

/**
 * Token usage of one answer, as the upstream reported it. `prompt` includes cached prompt tokens
 * (`cached` says how many of them were read from the provider's prompt cache) and `completion`
 * includes reasoning tokens (`reasoning` says how many). The optional fields are present only
 * when the upstream reported a non-zero count.
 */
export interface Usage {
  /** Every prompt token, cached ones included. */
  prompt: number;
  completion: number;
  /** Prompt tokens read from the provider's cache (part of prompt; priced lower). */
  cached?: number;
  /** Prompt tokens written to the provider's cache (Anthropic's cache_creation; part of prompt). */
  cacheWrite?: number;
  /** Reasoning tokens (part of completion). */
  reasoning?: number;
}

/** A count from a usage object, 0 when absent or not a number. */
export function count(o: Json, key: string): number {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Usage with the optional counts set only when non-zero. */
export function usageOf(prompt: number, completion: number, cached: number, reasoning: number, cacheWrite = 0): Usage {
  const u: Usage = { prompt, completion };
  if (cached > 0) u.cached = cached;
  if (cacheWrite > 0) u.cacheWrite = cacheWrite;
  if (reasoning > 0) u.reasoning = reasoning;
  return u;
}

export function asArray<T = Json>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export function asObject(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

/** A list of objects from untrusted JSON: anything that is not an object reads as {}. */
export function objectsOf(v: unknown): Json[] {
  return Array.isArray(v) ? v.map(asObject) : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Parses a tool call's JSON argument string; a model's broken JSON is kept, not dropped. */
export function parseArguments(args: unknown): Json {
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : { value: v };
  } catch {
    return { _raw_arguments: args };
  }
}
