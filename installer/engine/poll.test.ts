import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from './poll.ts';

test('asks until there is an answer and returns it', async () => {
  let calls = 0;
  const value = await poll(async () => (++calls === 3 ? 'ready' : undefined), { timeoutMs: 10_000, delayMs: 1 });
  assert.equal(value, 'ready');
  assert.equal(calls, 3);
});

test('gives up at the deadline with undefined, after a last check at the deadline', async () => {
  let calls = 0;
  const value = await poll(async () => void calls++, { timeoutMs: 30, delayMs: 1000 });
  assert.equal(value, undefined);
  // Once at the start and again when the deadline came: the 1 s pause is cut to the 30 ms left.
  assert.ok(calls >= 2 && calls <= 4, `${calls} checks`);
});

test('a throwing check ends the wait with its error; an abort with the signal reason', { timeout: 5000 }, async () => {
  await assert.rejects(
    poll(
      async () => {
        throw new Error('exited with code 1');
      },
      { timeoutMs: 10_000 },
    ),
    /exited with code 1/,
  );
  const controller = new AbortController();
  const waiting = poll(async () => undefined, { timeoutMs: 600_000, delayMs: 300_000, signal: controller.signal });
  controller.abort(new Error('SIGTERM'));
  await assert.rejects(waiting, /SIGTERM/);
});

test('the pause doubles up to its ceiling', async () => {
  const gaps: number[] = [];
  let last = Date.now();
  let calls = 0;
  await poll(
    async () => {
      const now = Date.now();
      gaps.push(now - last);
      last = now;
      return ++calls === 5 ? true : undefined;
    },
    { timeoutMs: 10_000, delayMs: 20, maxDelayMs: 40 },
  );
  // 20, 40, 40, 40 ms asked for: every pause at least what was asked (timers never fire early).
  assert.ok(gaps[1]! >= 15 && gaps[2]! >= 35 && gaps[3]! >= 35 && gaps[4]! >= 35, `pauses ${gaps.join(', ')}`);
});
