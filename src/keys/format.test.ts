import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateKey, generateKeyId, hashKey, KEY_LENGTH, keyHint, looksLikeKey } from './format.ts';

describe('key format', () => {
  it('makes aip_ keys of 43 base62 characters, all different', () => {
    const keys = new Set(Array.from({ length: 200 }, generateKey));
    assert.equal(keys.size, 200);
    for (const k of keys) {
      assert.match(k, /^aip_[0-9A-Za-z]{43}$/);
      assert.equal(k.length, KEY_LENGTH);
      assert.ok(looksLikeKey(k));
    }
  });

  it('uses the whole alphabet evenly enough (no byte-modulo bias towards the first characters)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) for (const c of generateKey().slice(4)) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.equal(counts.size, 62);
    const values = [...counts.values()];
    // 17,200 characters over 62 symbols: ~277 each; a biased generator skews the first symbols by ~25%.
    assert.ok(
      Math.min(...values) > 180 && Math.max(...values) < 380,
      `counts ${Math.min(...values)}-${Math.max(...values)}`,
    );
  });

  it('recognises only the exact shape', () => {
    const k = generateKey();
    for (const bad of ['', 'aip_', k.slice(0, -1), `${k}x`, k.replace('aip_', 'sk-_'), `${k.slice(0, -1)}!`])
      assert.equal(looksLikeKey(bad), false, bad);
  });

  it('hashes with SHA-256 (hex) and hints with the first characters only', () => {
    const k = generateKey();
    assert.equal(hashKey(k), createHash('sha256').update(k).digest('hex'));
    assert.equal(keyHint(k), `${k.slice(0, 10)}…`);
    assert.match(generateKeyId(), /^key_[0-9a-hjkmnp-tv-z]{12}$/);
  });
});
