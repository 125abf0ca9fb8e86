import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteSteps, sweepTempFiles, writeFileAtomic, TEMP_PREFIX } from './atomic-write.ts';

const OLD = 'PORT=8080\nAUTH_TOKEN=old-old-old-old-old-old-old-old-old\n';
const NEW = 'PORT=9090\nAUTH_TOKEN=old-old-old-old-old-old-old-old-old\n# a longer new file\n';

test('a crash after any step leaves the old or the new file, never a mix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aip-inst-atomic-'));
  try {
    const path = join(dir, '.env');
    const total = atomicWriteSteps(path, NEW, { mode: 0o640 }).steps.length;
    for (let crashAfter = 0; crashAfter <= total; crashAfter++) {
      writeFileSync(path, OLD);
      const { steps } = atomicWriteSteps(path, NEW, { mode: 0o640 });
      for (const step of steps.slice(0, crashAfter)) step();
      const content = readFileSync(path, 'utf8');
      assert.ok(content === OLD || content === NEW, `after ${crashAfter} steps the file is ${JSON.stringify(content)}`);
      if (crashAfter >= 4) assert.equal(content, NEW, 'the rename made it the new file');
      else assert.equal(content, OLD, 'before the rename it is still the old file');
      // What a crash leaves is a temp file, which the next run sweeps away.
      sweepTempFiles(dir, readdirSync(dir));
      assert.deepEqual(
        readdirSync(dir).filter((name) => name.startsWith(TEMP_PREFIX)),
        [],
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic sets the mode and replaces the content', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aip-inst-atomic-'));
  try {
    const path = join(dir, 'provider-config.yaml');
    writeFileSync(path, 'old');
    writeFileAtomic(path, 'new', { mode: 0o640, uid: 0, gid: 1001 });
    assert.equal(readFileSync(path, 'utf8'), 'new');
    const stat = statSync(path);
    assert.equal(stat.mode & 0o777, 0o640);
    if (process.getuid?.() === 0) assert.equal(stat.gid, 1001);
    assert.deepEqual(readdirSync(dir), ['provider-config.yaml']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a symlink planted as the target is replaced, not written through', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aip-inst-atomic-'));
  try {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, join(dir, '.env'));
    writeFileAtomic(join(dir, '.env'), 'new', { mode: 0o600 });
    assert.equal(readFileSync(victim, 'utf8'), 'untouched');
    assert.equal(readFileSync(join(dir, '.env'), 'utf8'), 'new');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
