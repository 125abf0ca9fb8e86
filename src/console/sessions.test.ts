import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameToken, Sessions } from './sessions.ts';

describe('Sessions', () => {
  const limits = { idleMs: 1000, maxAgeMs: 5000, maxSessions: 3 };

  it('keeps a session while it is used, ends it after the idle time or the maximum age', () => {
    const s = new Sessions(limits);
    const a = s.create(0);
    assert.equal(s.get(a.id, 900)?.id, a.id);
    assert.equal(s.get(a.id, 1800)?.id, a.id, 'each use restarts the idle time');
    assert.equal(s.get(a.id, 2900), undefined, 'idle for more than a second');
    const b = s.create(0);
    for (let t = 800; t < 5000; t += 800) assert.ok(s.get(b.id, t));
    assert.equal(s.get(b.id, 5001), undefined, 'older than the maximum age');
  });

  it('holds at most maxSessions, dropping the oldest; ids and CSRF tokens are random and distinct', () => {
    const s = new Sessions(limits);
    const [a, b, c, d] = [s.create(0), s.create(1), s.create(2), s.create(3)];
    assert.equal(s.get(a.id, 4), undefined);
    for (const x of [b, c, d]) assert.ok(s.get(x.id, 4));
    assert.equal(new Set([a, b, c, d].flatMap((x) => [x.id, x.csrf])).size, 8);
    assert.match(a.id, /^[\w-]{43}$/);
    s.end(b.id);
    assert.equal(s.get(b.id, 5), undefined);
  });

  it('compares tokens exactly', () => {
    assert.ok(sameToken('abc', 'abc'));
    assert.ok(!sameToken('abd', 'abc'));
    assert.ok(!sameToken('ab', 'abc'));
    assert.ok(!sameToken(undefined, 'abc'));
  });
});
