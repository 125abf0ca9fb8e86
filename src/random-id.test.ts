import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomId } from './random-id.ts';

describe('randomId', () => {
  it('has the UUID v4 layout and does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => randomId()));
    assert.equal(ids.size, 10_000);
    for (const id of [...ids].slice(0, 100))
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
