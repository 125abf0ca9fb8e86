import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deltaMs, percentile, ratio, sortedCopy, table } from './stats.ts';

test('percentile is nearest-rank on sorted data', () => {
  const sorted = sortedCopy(Array.from({ length: 1000 }, (_, i) => 1000 - i));
  assert.equal(sorted[0], 1);
  assert.equal(percentile(sorted, 50), 500);
  assert.equal(percentile(sorted, 99), 990);
  assert.equal(percentile(sorted, 99.9), 999);
  assert.equal(percentile(sorted, 100), 1000);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('sortedCopy sorts numerically, not as strings', () => {
  assert.deepEqual(sortedCopy([10, 9, 100, 1]), [1, 9, 10, 100]);
});

test('formatting of deltas and ratios', () => {
  assert.equal(deltaMs(310), '+0.31');
  assert.equal(deltaMs(-1500), '-1.50');
  assert.equal(ratio(300, 100), '3.00x');
  assert.equal(ratio(1, 0), '-');
});

test('table pads every column to its widest cell', () => {
  const lines = table(['a', 'long header'], [['wide cell', 'x']]).split('\n');
  assert.equal(lines.length, 3);
  assert.equal(new Set(lines.map((l) => l.length)).size, 1);
});
