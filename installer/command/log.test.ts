import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLog } from './log.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-inst-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a Swarm join token never reaches the log, whatever line carries it', () => {
  const token = `SWMTKN-1-${'a1'.repeat(25)}-${'b'.repeat(25)}`;
  const path = join(dir, 'installer.log');
  const log = openLog(path);
  log.line(`engine: rpc error: join token ${token} refused`);
  log.line(`argv: --swarm join --token=${token}`);
  const text = readFileSync(path, 'utf8');
  assert.doesNotMatch(text, /SWMTKN-1-a1/);
  assert.match(text, /join token SWMTKN-<redacted> refused/);
});
