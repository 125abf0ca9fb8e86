import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { RECIPES, dockerfile, imageHash, imageTag, recipe, rootfsHash } from './recipes.ts';

test('every recipe has a distinct, stable image tag with the aip-vps- prefix', () => {
  const tags = RECIPES.map(imageTag);
  assert.equal(new Set(tags).size, RECIPES.length);
  for (const t of tags) assert.match(t, /^aip-vps-img:[a-z-]+-[0-9a-f]{12}$/);
  // Stable means: the next run, another process, finds the cached image under the same tag.
  const other = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(join(import.meta.dirname, 'recipes.ts'))}); console.log(JSON.stringify(m.RECIPES.map(m.imageTag)));`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(other.status, 0, other.stderr);
  assert.deepEqual(JSON.parse(other.stdout), tags, 'another process computes the same tags');
});

test('a package change changes both hashes; the rootfs hash ignores the package order', () => {
  const base = recipe('bookworm');
  const more = { ...base, packages: [...base.packages, 'less'] };
  assert.notEqual(rootfsHash(more), rootfsHash(base));
  assert.notEqual(imageHash(more), imageHash(base));
  assert.equal(rootfsHash({ ...base, packages: [...base.packages].reverse() }), rootfsHash(base));
});

test('the engine-less variant has no Docker package; trixie adds the separate CLI', () => {
  assert.ok(!recipe('bookworm-noengine').packages.some((p) => p.startsWith('docker')));
  assert.ok(recipe('trixie').packages.includes('docker-cli'));
  for (const r of RECIPES.filter((r) => r.engine)) assert.ok(r.packages.includes('docker.io'), r.name);
});

test('the systemd variant boots systemd as PID 1 and is stopped as systemd wants; the others keep their script', () => {
  const systemd = recipe('bookworm-systemd');
  assert.ok(systemd.packages.includes('systemd-sysv') && systemd.packages.includes('docker.io'));
  const text = dockerfile('BASE', systemd);
  assert.match(text, /^ENV container=docker$/m);
  assert.match(text, /^STOPSIGNAL SIGRTMIN\+3$/m);
  assert.match(text, /^CMD \["\/usr\/local\/sbin\/vps-systemd"\]$/m);
  for (const r of RECIPES.filter((r) => r.init !== 'systemd'))
    assert.match(dockerfile('BASE', r), /^CMD \["\/usr\/local\/sbin\/vps-boot"\]\n$/m, r.name);
});
