import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable } from './report.ts';

test('the report table aligns columns and sums up failures', () => {
  const table = formatTable(
    [
      { scenario: 'first install', release: '12 bookworm', exitCode: 0, seconds: 21.04, status: 'pass' },
      { scenario: 'port in use', release: '11 bullseye', exitCode: 9, seconds: 3.5, status: 'FAIL', note: 'x' },
    ],
    30,
  );
  const lines = table.split('\n');
  assert.match(lines[0] ?? '', /^scenario\s+debian\s+exit\s+seconds\s+result\s+note$/);
  assert.match(lines[2] ?? '', /^first install\s+12 bookworm\s+0\s+21\.0\s+pass$/);
  assert.match(lines[3] ?? '', /^port in use\s+11 bullseye\s+9\s+3\.5\s+FAIL\s+x$/);
  assert.equal(lines.at(-1), '2 scenarios, 1 failed, suite wall time 30.0 s');
});
