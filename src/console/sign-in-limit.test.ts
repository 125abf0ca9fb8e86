import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignInLimiter } from './sign-in-limit.ts';

describe('SignInLimiter', () => {
  const limits = { perAddress: 3, perAddressWindowMs: 60_000, overall: 5, overallWindowMs: 10_000 };

  it('stops an address after its failures until its window ends', () => {
    const l = new SignInLimiter(limits);
    for (let i = 0; i < 3; i++) {
      assert.equal(l.retryAfter('a', i), 0);
      l.failed('a', i);
    }
    assert.equal(l.retryAfter('a', 10), 60);
    assert.equal(l.retryAfter('b', 10), 0, 'other addresses may still try');
    assert.equal(l.retryAfter('a', 60_001), 0);
  });

  it('stops everyone after too many failures overall; a success clears only its address', () => {
    const l = new SignInLimiter(limits);
    for (let i = 0; i < 5; i++) l.failed(`x${i}`, 0);
    assert.equal(l.retryAfter('fresh', 1000), 9);
    assert.equal(l.retryAfter('fresh', 10_000), 0);
    l.failed('c', 20_000);
    l.succeeded('c');
    assert.equal(l.retryAfter('c', 20_001), 0);
  });

  it('runs at most two secret checks at once', () => {
    const l = new SignInLimiter(limits);
    assert.ok(l.beginCheck());
    assert.ok(l.beginCheck());
    assert.equal(l.beginCheck(), false);
    l.endCheck();
    assert.ok(l.beginCheck());
  });
});
