// Writes docs/compatibility.md from the tests: clears the recorded cells, runs every test file
// that registers matrix cells (the agent CLIs need `npm run release` first), and renders the page
// from the cells that passed. Run with: npm run compat-matrix
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CELLS, cellKey, passedCells, RESULTS_FILE, renderMatrix } from '../test/agents/matrix.ts';

const ROOT = join(import.meta.dirname, '..');
const MATRIX_TEST_FILES = [
  'test/agents/claude-code.test.ts',
  'test/agents/codex.test.ts',
  'test/integration/responses-sdk.test.ts',
  'test/integration/count-tokens.test.ts',
];

rmSync(RESULTS_FILE, { force: true });
const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'run-tests.mjs'), ...MATRIX_TEST_FILES], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, REQUIRE_E2E: '1' },
});
const passed = passedCells();
const page = join(ROOT, 'docs', 'compatibility.md');
writeFileSync(page, renderMatrix(passed));
const failed = CELLS.filter((c) => !passed.has(cellKey(c)));
console.log(`compat-matrix: wrote docs/compatibility.md (${CELLS.length - failed.length}/${CELLS.length} cells pass)`);
for (const c of failed) console.log(`  not passing: ${c.client} -> ${c.provider}: ${c.feature}`);
process.exitCode = run.status === 0 && failed.length === 0 ? 0 : 1;
