import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unixTimestamp } from './containers.ts';

test("a start time becomes the engine's seconds.nanoseconds, nanoseconds padded, never rounded", () => {
  assert.equal(unixTimestamp('2026-12-05T16:18:37.908794705Z'), '1796487517.908794705');
  assert.equal(unixTimestamp('2026-12-05T16:18:37.5Z'), '1796487517.500000000');
  assert.equal(unixTimestamp('2026-12-05T16:18:37Z'), '1796487517.000000000');
});

test('a container never started (year 1) or an unreadable time gives no bound', () => {
  assert.equal(unixTimestamp('0001-01-01T00:00:00Z'), undefined);
  assert.equal(unixTimestamp('yesterday'), undefined);
  assert.equal(unixTimestamp(undefined), undefined);
});
