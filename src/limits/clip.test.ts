import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clip } from './clip.ts';

describe('clip', () => {
  it('keeps short text and cuts long text, saying how much', () => {
    assert.equal(clip('model', 10), 'model');
    assert.equal(clip('m'.repeat(1000), 4), 'mmmm...(996 more characters)');
  });
});
