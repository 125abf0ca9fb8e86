// Loose views of the two wire formats: only the fields translation reads. The official SDKs' type
// files (the openai and @anthropic-ai/sdk packages) are the reference; bodies stay plain JSON objects.
export type Json = Record<string, unknown>;

export interface Usage {
  /** Every prompt token, cached ones included. */
  prompt: number;
  completion: number;
  /** Prompt tokens read from the provider's cache (part of prompt; priced lower). */
  cached?: number;
  /** Prompt tokens written to the provider's cache (Anthropic's cache_creation; part of prompt). */
  cacheWrite?: number;
}

export function asArray<T = Json>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export function asObject(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
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
