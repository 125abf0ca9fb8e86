// Model allow-lists: each entry is a public model name or a pattern where `*` stands for any run
// of characters (including "/") and `?` for one character. `gpt-4o*` allows `gpt-4o` and
// `gpt-4o-mini`; `openai/*` every model reached as "openai/<model>"; `*` everything.
// Patterns are compiled once per key load, so a check is a Set lookup and a few regex tests.

export const MAX_PATTERNS = 100;
const MAX_PATTERN_LENGTH = 200;
// Names as the config allows them, plus the two wildcards; no spaces or commas (the CLI splits on ",").
const PATTERN = /^[^\s,]+$/;

export interface ModelMatcher {
  /** Every model allowed (no list, or a lone `*`). */
  readonly all: boolean;
  allows(model: string): boolean;
}

/** Why a pattern list is unusable, or undefined when it is fine. */
export function patternProblem(patterns: readonly string[]): string | undefined {
  if (patterns.length > MAX_PATTERNS) return `at most ${MAX_PATTERNS} model patterns per key`;
  for (const p of patterns) {
    if (p.length === 0 || p.length > MAX_PATTERN_LENGTH)
      return `model pattern "${p.slice(0, 40)}" must be 1-${MAX_PATTERN_LENGTH} characters`;
    if (!PATTERN.test(p)) return `model pattern "${p.slice(0, 40)}" contains a space or a comma`;
  }
  return undefined;
}

/** Splits the CLI's comma-separated list (`'gpt-4o*,smart'`), dropping empty entries and duplicates. */
export function splitPatterns(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

function toRegExp(pattern: string): RegExp {
  let source = '';
  for (const c of pattern) {
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** One matcher for every key without a list (most of them). */
const ALL_MODELS: ModelMatcher = { all: true, allows: () => true };

export function compilePatterns(patterns: readonly string[]): ModelMatcher {
  if (patterns.length === 0 || patterns.includes('*')) return ALL_MODELS;
  const exact = new Set<string>();
  const wild: RegExp[] = [];
  for (const p of patterns) {
    if (p.includes('*') || p.includes('?')) wild.push(toRegExp(p));
    else exact.add(p);
  }
  return {
    all: false,
    allows: (model) => exact.has(model) || wild.some((r) => r.test(model)),
  };
}
