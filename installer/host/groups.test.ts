import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstallError } from '../command/errors.ts';
import { gidHolders, judgeGid, releaseGid, reserveGid } from './groups.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-inst-groups-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

function host(group: string, passwd = 'root:x:0:0:root:/root:/bin/sh\n'): string {
  const root = mkdtempSync(join(dir, 'root-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/group'), group);
  writeFileSync(join(root, 'etc/gshadow'), '');
  writeFileSync(join(root, 'etc/passwd'), passwd);
  return root;
}

function refusal(root: string): InstallError {
  try {
    judgeGid(1001, gidHolders(1001, root));
  } catch (error) {
    assert.ok(error instanceof InstallError);
    return error;
  }
  assert.fail('gid 1001 was accepted');
}

test('a free gid is free; our own empty group is ours', () => {
  assert.equal(judgeGid(1001, gidHolders(1001, host('root:x:0:\nusers:x:100:\n'))), 'free');
  assert.equal(judgeGid(1001, gidHolders(1001, host('ai-proxy:x:1001:\n'))), 'ours');
});

test('another group on gid 1001, or an account in it, is refused with exit 11 and who it is', () => {
  const other = refusal(host('deploy:x:1001:alice,bob\n'));
  assert.equal(other.exitCode, 11);
  assert.match(other.message, /gid 1001.*group "deploy".*alice, bob: they could read them/);
  assert.match(other.hint ?? '', /groupmod -g NEW deploy/);
  // An account whose primary group is 1001, with no group line at all (a hand-edited passwd).
  const primary = refusal(host('root:x:0:\n', 'carol:x:1001:1001::/home/carol:/bin/sh\n'));
  assert.match(primary.message, /the primary group of carol/);
  // Our group name is no excuse once someone was added to it.
  const joined = refusal(host('ai-proxy:x:1001:mallory\n'));
  assert.match(joined.message, /mallory/);
  assert.match(joined.hint ?? '', /gpasswd -d USER ai-proxy/);
  for (const error of [other, primary, joined]) assert.doesNotMatch(error.message, /\n/);
});

test('reserving creates the group ai-proxy with the gid, releasing removes it', {
  skip: !isRoot && 'needs root (groupadd)',
}, () => {
  const root = host('root:x:0:\n');
  reserveGid(1001, root);
  assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^ai-proxy:x:1001:$/m);
  assert.equal(judgeGid(1001, gidHolders(1001, root)), 'ours');
  releaseGid(root);
  assert.equal(judgeGid(1001, gidHolders(1001, root)), 'free');
});
