import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeGrant, effectiveLimit, MINUTE_MS, secondsUntilRoom } from './grant.ts';

const W = Date.UTC(2026, 0, 1, 12, 0);
const state = (over = {}) => ({ used: 0, previousUsed: 0, others: 0, otherHolders: 0, ...over });

describe('lease grants', () => {
  it('grants half of what is free to a lone holder, an even share of half with others', () => {
    assert.equal(computeGrant('budget', state(), 1000, 0, W), 500);
    assert.equal(computeGrant('budget', state({ used: 400, others: 200, otherHolders: 1 }), 1000, 0, W), 100);
    assert.equal(computeGrant('budget', state({ used: 999 }), 1000, 0, W), 1, 'the last unit is still granted');
  });

  it('grants nothing once used and leased reach the limit', () => {
    assert.equal(computeGrant('budget', state({ used: 1000 }), 1000, 0, W), 0);
    assert.equal(computeGrant('rpm', state({ used: 50, others: 10, otherHolders: 2 }), 60, W, W), 0);
    assert.equal(computeGrant('budget', state({ used: 1200 }), 1000, 0, W), 0, 'an overspend is not granted again');
  });

  it('weighs the previous minute in per-minute limits only', () => {
    assert.equal(effectiveLimit('rpm', 60, 60, W, W), 0);
    assert.equal(effectiveLimit('rpm', 60, 60, W, W + 30_000), 30);
    assert.equal(effectiveLimit('tpm', 60, 60, W, W + MINUTE_MS), 60);
    assert.equal(effectiveLimit('budget', 60, 60, W, W), 60);
  });

  it('says when a per-minute limit has room again', () => {
    // Full this minute, nothing before: room once this minute's weight has faded by 1/60.
    assert.equal(secondsUntilRoom(60, 60, 0, W, W + 10_000, 1), 51);
    // Room in this minute as soon as the previous minute's 60 have faded enough for one more.
    assert.equal(secondsUntilRoom(60, 30, 60, W, W, 1), 31);
    assert.equal(secondsUntilRoom(60, 0, 0, W, W, 1), 1, 'never less than a second');
  });
});
