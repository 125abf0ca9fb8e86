import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from './lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-inst-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the lock holds our pid and is released', () => {
  const path = join(dir, 'a.lock');
  const lock = acquireLock(path);
  assert.ok(!('heldBy' in lock));
  assert.equal(readFileSync(path, 'utf8').trim(), String(process.pid));
  lock.release();
  assert.equal(existsSync(path), false);
});

test('a live holder keeps it; a dead holder loses it', async () => {
  const path = join(dir, 'b.lock');
  const holder = spawn('sleep', ['30']);
  try {
    writeFileSync(path, `${holder.pid}\n`);
    assert.deepEqual(acquireLock(path), { heldBy: holder.pid });
  } finally {
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.on('exit', resolve));
  }
  const lock = acquireLock(path);
  assert.ok(!('heldBy' in lock), 'the dead holder is taken over');
  lock.release();
});

test('garbage in the lock file is treated as stale', () => {
  const path = join(dir, 'c.lock');
  writeFileSync(path, 'not a pid\n');
  const lock = acquireLock(path);
  assert.ok(!('heldBy' in lock));
  lock.release();
});
