// The in-memory key map against a real SQLite store, changed through the key service as the
// `keys` command does it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../store/sqlite.ts';
import { KEY_PAGE } from '../store/types.ts';
import { generateKey } from './format.ts';
import { KeyRegistry } from './registry.ts';
import { createKey, revokeKey, rotateKey, updateKey } from './service.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('key registry', () => {
  it('resolves keys by their secret and follows creation, change, rotation and revocation', async () => {
    const store = SqliteStore.open(join(dir, 'a.db'));
    const { secret: alice } = await createKey(store, { name: 'alice', models: ['gpt-4o*'] });
    const changes: string[] = [];
    const registry = new KeyRegistry(store, {
      pollMs: 60_000,
      onChange: (keys) => changes.push(...keys.map((k) => k.name)),
    });
    await registry.start();
    try {
      const r = registry.resolve(alice);
      assert.equal(r.kind, 'key');
      assert.ok(r.kind === 'key' && r.key.models.allows('gpt-4o-mini') && !r.key.models.allows('claude'));
      assert.equal(registry.resolve(generateKey()).kind, 'unknown');
      assert.equal(registry.resolve('not-a-key').kind, 'unknown');

      const { secret: bob } = await createKey(store, { name: 'bob' });
      assert.equal(registry.resolve(bob).kind, 'unknown', 'not seen before the next poll');
      await registry.poll();
      assert.equal(registry.resolve(bob).kind, 'key');

      await updateKey(store, 'alice', { models: ['claude*'] });
      await registry.poll();
      const changed = registry.resolve(alice);
      assert.ok(
        changed.kind === 'key' && changed.key.models.allows('claude-3') && !changed.key.models.allows('gpt-4o'),
      );

      const { secret: alice2 } = await rotateKey(store, 'alice');
      await revokeKey(store, 'bob');
      await registry.poll();
      assert.equal(registry.resolve(alice).kind, 'unknown', 'the old secret stops working');
      assert.equal(registry.resolve(alice2).kind, 'key');
      assert.equal(registry.resolve(bob).kind, 'revoked');
      assert.deepEqual(
        [...registry.active()].map((k) => k.record.name),
        ['alice'],
      );
      assert.deepEqual(changes, ['alice', 'bob', 'alice', 'alice', 'bob']);
      assert.deepEqual(registry.health(), { status: 'ok', keys: 2, version: 5, last_error: null });
    } finally {
      registry.stop();
      await store.close();
    }
  });

  it('loads more keys than one page holds', async () => {
    const store = SqliteStore.open(join(dir, 'many.db'));
    const secrets: string[] = [];
    for (let i = 0; i < KEY_PAGE + 5; i++) secrets.push((await createKey(store, { name: `k${i}` })).secret);
    const loaded: boolean[] = [];
    const registry = new KeyRegistry(store, { onChange: (_, initial) => loaded.push(initial) });
    await registry.start();
    registry.stop();
    assert.equal(registry.size, KEY_PAGE + 5);
    assert.equal(registry.resolve(secrets.at(-1)!).kind, 'key');
    assert.deepEqual(loaded, [true, true], 'two pages, both part of the first load');
    await store.close();
  });

  it('tells an expired key from an unknown one', async () => {
    const store = SqliteStore.open(join(dir, 'b.db'));
    const { secret } = await createKey(store, { name: 'temp', expiresAt: Date.now() + 60_000 });
    const registry = new KeyRegistry(store);
    await registry.start();
    registry.stop();
    assert.equal(registry.resolve(secret).kind, 'key');
    assert.equal(registry.resolve(secret, Date.now() + 120_000).kind, 'expired');
    await store.close();
  });

  it('keeps the keys it has when the store fails, and reports it', async () => {
    const store = SqliteStore.open(join(dir, 'c.db'));
    const { secret } = await createKey(store, { name: 'kept' });
    const errors: (string | undefined)[] = [];
    const registry = new KeyRegistry(store, { onError: (m) => errors.push(m) });
    await registry.start();
    registry.stop();
    await store.close();
    await registry.poll();
    assert.equal(registry.resolve(secret).kind, 'key');
    assert.equal(registry.health().status, 'degraded');
    assert.match(errors[0] ?? '', /^keys: reading the keys version: /);
  });
});
