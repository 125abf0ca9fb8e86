#!/usr/bin/env node
// Runs every *.test.ts under src/, installer/, test/ and bench/ (its unit tests; the benchmarks themselves run with npm run bench) with node's test runner (through tsx).
// The files are listed here (node's --test glob would also pick up node_modules fixtures); skipped
// tests are listed again at the end, with their reasons.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['src', 'installer', 'test', 'bench'];

function* walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith('.test.ts')) yield path;
  }
}

const files = roots.flatMap((root) => (root.endsWith('.test.ts') ? [root] : [...walk(root)])).sort();
if (files.length === 0) {
  console.error('run-tests: no test files found under', roots.join(', '));
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// Skipped tests also go to a file of their own, printed as a list at the very end.
const skipLog = join(mkdtempSync(join(tmpdir(), 'aip-tests-')), 'skipped.jsonl');
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(import.meta.dirname, 'skip-reporter.mjs')}`,
    `--test-reporter-destination=${skipLog}`,
    `--test-concurrency=${concurrency}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
const skipped = existsSync(skipLog)
  ? readFileSync(skipLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
  : [];
rmSync(dirname(skipLog), { recursive: true, force: true });
console.log(
  `\nSkipped: ${skipped.length} test${skipped.length === 1 ? '' : 's'}${skipped.length ? ' (they prove nothing in this run)' : ''}`,
);
for (const s of skipped) console.log(`  - ${s.file}: ${s.name}\n      why: ${s.reason}`);
if (skipped.length && process.env.SKIP_SUMMARY_FILE)
  writeFileSync(
    process.env.SKIP_SUMMARY_FILE,
    skipped.map((s) => `${s.file}: ${s.name} (${s.reason})`).join('\n') + '\n',
  );
process.exit(result.status ?? 1);
