// Two builds of one commit give byte-identical artifacts. The rebuild goes to a temporary
// folder (pkg/ is shared with other test suites). When pkg/ was built from this very commit on
// a clean tree, the rebuild is compared with it; otherwise (a dirty tree or another commit,
// where pkg/ may hold older code) a second rebuild is made and the two are compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsFor, readManifest, requireArtifacts, ROOT, run, tempDir, unpack } from './artifacts.ts';

const { artifacts, skip } = requireArtifacts();

function rebuild(): { dir: string; sums: string } {
  const dir = tempDir('rebuild');
  const result = run('sh', [join(ROOT, 'scripts/build-release.sh'), '--out', dir], { cwd: ROOT, timeout: 600_000 });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  return { dir, sums: readFileSync(artifactsFor('x64', dir).sums, 'utf8') };
}

async function commitOf(archive: string): Promise<string> {
  const dir = await unpack(archive, ['manifest.json']);
  const { commit } = readManifest(dir);
  rmSync(dir, { recursive: true, force: true });
  return commit;
}

test('two builds of the same commit produce the same sha256', { skip, timeout: 900_000 }, async () => {
  const first = rebuild();
  try {
    const commit = await commitOf(artifactsFor('x64', first.dir).archive);
    const pkgCommit = await commitOf(artifacts!.archive);
    if (commit === pkgCommit && !commit.endsWith('-dirty')) {
      assert.equal(first.sums, readFileSync(artifacts!.sums, 'utf8'), 'the rebuild matches pkg/ byte for byte');
      return;
    }
    const second = rebuild();
    try {
      assert.equal(await commitOf(artifactsFor('x64', second.dir).archive), commit, 'the tree changed during the test: rerun it');
      assert.equal(second.sums, first.sums, 'two rebuilds of one tree match byte for byte');
    } finally {
      rmSync(second.dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(first.dir, { recursive: true, force: true });
  }
});
