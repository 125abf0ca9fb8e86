import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECIPES, imageHash, imageTag, recipe, rootfsHash } from './recipes.ts';

test('every recipe has a distinct, stable image tag with the aip-vps- prefix', () => {
  const tags = RECIPES.map(imageTag);
  assert.equal(new Set(tags).size, RECIPES.length);
  for (const t of tags) assert.match(t, /^aip-vps-img:[a-z-]+-[0-9a-f]{12}$/);
  assert.deepEqual(RECIPES.map(imageTag), tags, 'hashing is deterministic');
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
