// Two builds of one commit give byte-identical artifacts. The commit is cloned into a temporary
// folder first, so edits and commits made meanwhile in the working tree cannot change what is
// built (the clone shares the caches in .build/, not the work folders). When pkg/ was built from
// that commit on a clean tree, one build of the clone is compared with pkg/ (which also shows
// the checkout path does not leak into the artifacts); otherwise a second clone, at another
// path, is built too and the two are compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsFor, readManifest, requireArtifacts, ROOT, run, tempDir, unpack } from './artifacts.ts';

const { artifacts, skip } = requireArtifacts();

function cloneAt(commit: string): { dir: string; commit: string } {
  const dir = tempDir('clone');
  const cloned = run('git', ['clone', '--quiet', '--shared', '--no-checkout', ROOT, dir]);
  assert.equal(cloned.status, 0, cloned.stderr);
  assert.equal(run('git', ['checkout', '--quiet', commit], { cwd: dir }).status, 0);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return { dir, commit };
}

function build(checkout: string, sourceUrl: string): { out: string; sums: string } {
  const out = tempDir('rebuild');
  const result = run('sh', [join(checkout, 'scripts/build-release.sh'), '--out', out], {
    cwd: checkout,
    // A clone's origin is the local path; the source label must be what pkg/ was built with.
    env: { ...process.env, BUILD_DIR: join(ROOT, '.build'), AI_PROXY_SOURCE_URL: sourceUrl },
    timeout: 600_000,
  });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  return { out, sums: readFileSync(artifactsFor('x64', out).sums, 'utf8') };
}

test('two builds of the same commit produce the same sha256', { skip, timeout: 900_000 }, async () => {
  const head = run('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT }).stdout.trim();
  const clone = cloneAt(head);
  const dirs: string[] = [clone.dir];
  try {
    const manifestDir = await unpack(artifacts!.archive, ['manifest.json', 'Dockerfile']);
    const pkgCommit = readManifest(manifestDir).commit;
    const sourceUrl =
      readFileSync(join(manifestDir, 'Dockerfile'), 'utf8').match(/image\.source="([^"]*)"/)?.[1] ?? 'unknown';
    rmSync(manifestDir, { recursive: true, force: true });

    const first = build(clone.dir, sourceUrl);
    dirs.push(first.out);
    if (pkgCommit === clone.commit) {
      assert.equal(
        first.sums,
        readFileSync(artifacts!.sums, 'utf8'),
        `a rebuild of ${clone.commit} matches pkg/ byte for byte`,
      );
      return;
    }
    const other = cloneAt(head);
    dirs.push(other.dir);
    const second = build(other.dir, sourceUrl);
    dirs.push(second.out);
    assert.equal(second.sums, first.sums, `two builds of ${clone.commit} match byte for byte`);
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
