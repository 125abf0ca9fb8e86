import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress } from './progress.ts';
import { nullLog } from './log.ts';

function capture(isTTY: boolean, color: boolean) {
  let text = '';
  const progress = createProgress({ isTTY, write: (chunk) => void (text += chunk) }, nullLog('/dev/null'), {
    color,
    total: 2,
  });
  return { progress, text: () => text };
}

test('plain lines without a terminal: numbered steps with timings, no escape codes', () => {
  const { progress, text } = capture(false, false);
  progress.step('First').done('fine');
  progress.step('Second').fail('broken');
  assert.match(text(), /^✓ \[1\/2\] First — fine \(\d+\.\d s\)\n✗ \[2\/2\] Second — broken \(\d+\.\d s\)\n$/);
  assert.ok(!text().includes('\x1b'));
  assert.deepEqual(
    progress.timings.map((t) => [t.step, t.status]),
    [
      ['First', 'done'],
      ['Second', 'failed'],
    ],
  );
});

test('a terminal gets a spinner line that the result replaces; colour only when allowed', () => {
  const tty = capture(true, true);
  tty.progress.step('Building').done();
  assert.match(tty.text(), /^⠋ \[1\/2\] Building\r\x1b\[K\x1b\[32m✓\x1b\[0m \[1\/2\] Building \(/);
  const noColor = capture(true, false);
  noColor.progress.step('Building').done();
  noColor.progress.warn('careful');
  assert.ok(!/\x1b\[3\dm/.test(noColor.text()), 'NO_COLOR: no colour codes');
  assert.match(noColor.text(), /warning: careful\n$/);
});
