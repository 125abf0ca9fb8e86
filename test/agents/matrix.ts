// The compatibility matrix (client x provider type x feature) is the list of tests below: each
// cell is one test, registered with cellTest(), which records the cell when its test passes.
// `npm run compat-matrix` runs those tests and writes docs/compatibility.md from what they
// recorded; matrix.test.ts checks the committed page is what a fully passing run writes.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

export const CLIENTS = {
  claude: 'Claude Code 2.1.332 (`claude -p`)',
  codex: 'Codex CLI 0.171.0 (`codex exec`, `wire_api = "responses"`)',
  openaiSdk: '`openai` SDK (`responses.create` / `responses.stream`)',
  anthropicSdk: '`@anthropic-ai/sdk` (`messages.countTokens`)',
} as const;

export const PROVIDERS = {
  anthropic: '`anthropic`',
  responses: '`openai` (Responses API upstream)',
  chat: '`openai-compatible`, chat completions only',
} as const;

export interface Cell {
  client: keyof typeof CLIENTS;
  provider: keyof typeof PROVIDERS;
  feature: string;
}

const c = (client: Cell['client'], provider: Cell['provider'], feature: string): Cell => ({
  client,
  provider,
  feature,
});

export const CELLS: Cell[] = [
  c('claude', 'anthropic', 'tool loop with the Bash tool, streamed'),
  c('claude', 'anthropic', '`?beta=true`, `anthropic-beta`, `context_management`, `output_config` passed through'),
  c('claude', 'chat', 'tool loop with the Bash tool, streamed'),
  c('claude', 'chat', 'mid-conversation `system` message kept in place'),
  c('codex', 'responses', 'tool loop with `exec_command`, streamed (passthrough)'),
  c('codex', 'anthropic', 'tool loop with `exec_command`, streamed'),
  c('codex', 'anthropic', 'reasoning replayed as signed thinking on the next turn'),
  c('codex', 'anthropic', 'exact usage (cached and reasoning tokens) in the request log'),
  c('codex', 'chat', 'tool loop with `exec_command`, streamed'),
  c('codex', 'chat', 'chat-only detected from the upstream 404, remembered, shown in `/health`'),
  c('openaiSdk', 'responses', 'text, usage, streamed tool call (passthrough)'),
  c('openaiSdk', 'responses', 'an upstream cut mid-stream ends in `error` and `response.failed`, never a clean end'),
  c('openaiSdk', 'anthropic', 'text and usage (`responses.create`)'),
  c('openaiSdk', 'anthropic', 'streamed tool call with intact arguments (`responses.stream`)'),
  c('openaiSdk', 'anthropic', '`text.format` JSON schema'),
  c('openaiSdk', 'anthropic', '`previous_response_id` and `store: true` refused with 400'),
  c('openaiSdk', 'anthropic', 'hosted tools left out, named in `x-ai-proxy-dropped-tools`'),
  c('openaiSdk', 'anthropic', 'an upstream cut mid-stream ends in `error` and `response.failed`, never a clean end'),
  c('openaiSdk', 'chat', 'text and usage (`responses.create`)'),
  c('openaiSdk', 'chat', 'streamed tool call with intact arguments (`responses.stream`)'),
  c('openaiSdk', 'chat', '`text.format` JSON schema'),
  c('openaiSdk', 'chat', '`previous_response_id` and `store: true` refused with 400'),
  c('openaiSdk', 'chat', 'hosted tools left out, named in `x-ai-proxy-dropped-tools`'),
  c('openaiSdk', 'chat', 'an upstream cut mid-stream ends in `error` and `response.failed`, never a clean end'),
  c('anthropicSdk', 'anthropic', 'exact count (passed through)'),
  c('anthropicSdk', 'chat', 'documented estimate'),
];

export const cellKey = (cell: Cell) => `${cell.client}|${cell.provider}|${cell.feature}`;
export const cellName = (cell: Cell) => `[matrix] ${cell.client} -> ${cell.provider}: ${cell.feature}`;

const RESULTS = join(import.meta.dirname, '.results');
export const RESULTS_FILE = join(RESULTS, 'cells.jsonl');

function find(client: Cell['client'], provider: Cell['provider'], feature: string): Cell {
  const cell = CELLS.find((x) => x.client === client && x.provider === provider && x.feature === feature);
  if (!cell) throw new Error(`no matrix cell ${client} / ${provider} / ${feature}: add it to CELLS`);
  return cell;
}

/** A test for one cell; the cell is recorded as passing when the test passes. */
export function cellTest(
  client: Cell['client'],
  provider: Cell['provider'],
  feature: string,
  fn: () => Promise<void>,
  options: { skip?: string | false; timeout?: number } = {},
): void {
  const cell = find(client, provider, feature);
  it(cellName(cell), options, async () => {
    await fn();
    mkdirSync(RESULTS, { recursive: true });
    appendFileSync(RESULTS_FILE, `${JSON.stringify(cellKey(cell))}\n`);
  });
}

/** Cells recorded as passing since the results file was last cleared. */
export function passedCells(): Set<string> {
  try {
    return new Set(
      readFileSync(RESULTS_FILE, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string),
    );
  } catch {
    return new Set();
  }
}

/** docs/compatibility.md for these results. */
export function renderMatrix(passed: Set<string>): string {
  const lines = [
    '# Compatibility matrix',
    '',
    '<!-- Generated by `npm run compat-matrix` from the test files it lists (scripts/compat-matrix.ts);',
    '     do not edit by hand. -->',
    '',
    'Each row is one test of the suite: the real client (the CLIs from npm, run against the release',
    'executable; the SDKs in process) through ai-proxy to a mock upstream speaking that provider',
    'type\'s wire format. "yes" means the test passed in the run that wrote this page; `npm test`',
    'checks that this page is current, so a row that stops passing fails the suite.',
    '',
  ];
  for (const client of Object.keys(CLIENTS) as Cell['client'][]) {
    lines.push(`## ${CLIENTS[client]}`, '', '| provider type | feature | works |', '|---|---|---|');
    for (const cell of CELLS.filter((x) => x.client === client))
      lines.push(`| ${PROVIDERS[cell.provider]} | ${cell.feature} | ${passed.has(cellKey(cell)) ? 'yes' : '**no**'} |`);
    lines.push('');
  }
  lines.push('How to point each client at ai-proxy: [coding-agents.md](coding-agents.md).', '');
  return lines.join('\n');
}
