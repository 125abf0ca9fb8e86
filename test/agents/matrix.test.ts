// docs/compatibility.md is generated (npm run compat-matrix) from the matrix tests; this checks
// the committed page is the one a run where every cell passed writes. A cell added, renamed or
// failing in the run that wrote the page makes it stale, and this test says how to refresh it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CELLS, cellKey, renderMatrix } from './matrix.ts';

test('docs/compatibility.md is current (every matrix cell passing)', () => {
  const committed = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'compatibility.md'), 'utf8');
  const expected = renderMatrix(new Set(CELLS.map(cellKey)));
  assert.ok(
    committed === expected,
    'docs/compatibility.md is stale or shows a failing cell: run `npm run release && npm run compat-matrix` and commit the page',
  );
});

test('every matrix cell names a distinct feature', () => {
  assert.equal(new Set(CELLS.map(cellKey)).size, CELLS.length);
});
