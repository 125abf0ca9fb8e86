import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareWorkDir, removeWorkDir } from './work-dir.ts';
import { InstallError } from '../command/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'aip-inst-workdir-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('creates a private 0700 folder whatever the umask', () => {
  const previous = process.umask(0o022);
  try {
    const dir = join(root, 'fresh');
    prepareWorkDir(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  } finally {
    process.umask(previous);
  }
});

test('removes our own leftover from an interrupted run and starts empty', () => {
  const dir = join(root, 'leftover');
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  writeFileSync(join(dir, 'ai-proxy'), 'half written');
  prepareWorkDir(dir);
  assert.deepEqual(readdirSync(dir), []);
});

test('refuses a planted symlink without following it, and a folder owned by someone else', () => {
  const target = join(root, 'target');
  mkdirSync(target);
  writeFileSync(join(target, 'keep'), 'x');
  const link = join(root, 'link');
  symlinkSync(target, link);
  assert.throws(
    () => prepareWorkDir(link),
    (error: InstallError) => error.exitCode === 10 && /symbolic link/.test(error.message),
  );
  removeWorkDir(link);
  assert.ok(existsSync(join(target, 'keep')), 'cleanup never goes through a link');
  if (process.getuid?.() === 0) {
    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    chownSync(foreign, 65534, 65534);
    assert.throws(
      () => prepareWorkDir(foreign),
      (error: InstallError) => error.exitCode === 10 && /belongs to another user \(uid 65534\)/.test(error.message),
    );
    removeWorkDir(foreign);
    assert.ok(existsSync(foreign), 'and never removes what is not ours');
  }
});
