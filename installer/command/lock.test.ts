import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, processStart } from './lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-inst-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

async function withSleeper(body: (child: ChildProcess) => void | Promise<void>): Promise<void> {
  const child = spawn('sleep', ['30']);
  try {
    await body(child);
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
  }
}

function taken(path: string): { release(): void } {
  const lock = acquireLock(path);
  assert.ok(!('heldBy' in lock), `the lock was refused: held by ${'heldBy' in lock ? lock.heldBy : ''}`);
  return lock;
}

test('the lock holds our pid and start time, 0600, and is released', () => {
  const path = join(dir, 'a.lock');
  const lock = taken(path);
  assert.equal(readFileSync(path, 'utf8'), `${process.pid} ${processStart(process.pid)}\n`);
  assert.equal(lstatSync(path).mode & 0o777, 0o600);
  lock.release();
  assert.equal(existsSync(path), false);
});

test('a live holder keeps it; a dead holder loses it', async () => {
  const path = join(dir, 'b.lock');
  let pid = 0;
  await withSleeper((holder) => {
    pid = holder.pid as number;
    writeFileSync(path, `${pid} ${processStart(pid)}\n`, { mode: 0o600 });
    assert.deepEqual(acquireLock(path), { heldBy: pid });
  });
  taken(path).release();
});

test('garbage in the lock file is treated as stale', () => {
  const path = join(dir, 'c.lock');
  writeFileSync(path, 'not a pid\n', { mode: 0o600 });
  taken(path).release();
});

test('a symlink planted at the lock path is replaced, never written through', () => {
  const path = join(dir, 'd.lock');
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n', { mode: 0o600 });
  symlinkSync(victim, path);
  const lock = taken(path);
  assert.equal(lstatSync(path).isSymbolicLink(), false);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  lock.release();
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  // A dangling link would make a following open create the target: O_NOFOLLOW never does.
  const dangling = join(dir, 'created-through-link');
  symlinkSync(dangling, path);
  taken(path).release();
  assert.equal(existsSync(dangling), false);
});

test('a FIFO planted at the lock path neither blocks nor holds the lock', () => {
  const path = join(dir, 'e.lock');
  execFileSync('mkfifo', ['-m', '0600', path]);
  taken(path).release();
});

test('a pid reused by another program after a crash does not hold the lock', async () => {
  const path = join(dir, 'f.lock');
  await withSleeper((other) => {
    writeFileSync(path, `${other.pid} 1\n`, { mode: 0o600 });
    taken(path).release();
  });
});

test('a lock planted by another user, naming a live process, is replaced', {
  skip: !isRoot && 'needs root (chown)',
}, async () => {
  const path = join(dir, 'g.lock');
  await withSleeper((other) => {
    writeFileSync(path, `${other.pid} ${processStart(other.pid as number)}\n`, { mode: 0o644 });
    chownSync(path, 65534, 65534);
    taken(path).release();
  });
});

test('release leaves alone a lock that is no longer ours', () => {
  const path = join(dir, 'h.lock');
  const lock = taken(path);
  unlinkSync(path);
  writeFileSync(path, '4242 1\n', { mode: 0o600 });
  lock.release();
  assert.equal(readFileSync(path, 'utf8'), '4242 1\n');
});

test('no other name next to the lock is ever written (a link planted there redirects nothing)', () => {
  const path = join(dir, 'i.lock');
  const victim = join(dir, 'victim-i');
  writeFileSync(victim, 'precious\n', { mode: 0o600 });
  symlinkSync(victim, `${path}.${process.pid}`);
  taken(path).release();
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
});
