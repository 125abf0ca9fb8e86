import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from './probe.ts';

test('the downtime is the longest stretch between two successful probes', () => {
  const log = ['1000 200', '1050 200', '1100 000', '1150 502', '1400 000', '1900 200', '1950 200', ''].join('\n');
  assert.deepEqual(analyse(log), { probes: 7, failures: 3, longestGapMs: 850 });
});

test('a probe log with no failure reports the largest ordinary interval', () => {
  assert.deepEqual(analyse('10 200\n70 200\n120 200\n'), { probes: 3, failures: 0, longestGapMs: 60 });
});

test('garbage lines (a truncated last write) are ignored', () => {
  assert.deepEqual(analyse('10 200\n7'), { probes: 1, failures: 0, longestGapMs: 0 });
});
