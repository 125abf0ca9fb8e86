import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions, TARGET_NAMES } from './options.ts';

test('defaults run every target and load for 10 s', () => {
  const o = parseOptions([]);
  assert.notEqual(o, 'help');
  if (o === 'help') return;
  assert.deepEqual(o.targets, [...TARGET_NAMES]);
  assert.equal(o.seconds, 10);
  assert.deepEqual(o.openSteps, [1000, 2500, 5000]);
});

test('--quick shortens the run and explicit flags still win', () => {
  const o = parseOptions(['--quick', '--duration', '5', '--targets', 'direct,ai-proxy']);
  if (o === 'help') throw new Error('unexpected help');
  assert.equal(o.seconds, 5);
  assert.equal(o.warmupSeconds, 1);
  assert.deepEqual(o.targets, ['direct', 'ai-proxy']);
});

test('unknown targets and bad numbers are refused with the flag named', () => {
  assert.throws(() => parseOptions(['--targets', 'envoy']), /--targets: unknown "envoy"/);
  assert.throws(() => parseOptions(['--duration', '0']), /--duration: expected a positive number/);
});
