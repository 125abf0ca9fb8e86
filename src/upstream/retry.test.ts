import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, decideRetry, isProviderFault, isRetryableStatus, retryAfterMs } from './retry.ts';

describe('retry policy', () => {
  it('retries 429, 408 and 5xx, not other 4xx', () => {
    for (const s of [408, 429, 500, 502, 503, 504, 529]) assert.ok(isRetryableStatus(s), String(s));
    for (const s of [400, 401, 403, 404, 413, 422]) assert.ok(!isRetryableStatus(s), String(s));
    assert.ok(isProviderFault(401) && isProviderFault(403) && isProviderFault(404) && !isProviderFault(400));
  });

  it('backs off exponentially with jitter inside [step/2, step], capped', () => {
    assert.equal(
      backoffMs(1, 100, 10_000, () => 0),
      50,
    );
    assert.equal(
      backoffMs(1, 100, 10_000, () => 1),
      100,
    );
    assert.equal(
      backoffMs(3, 100, 10_000, () => 1),
      400,
    );
    assert.equal(
      backoffMs(20, 100, 1000, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(20, 100, 1000, () => 0),
      500,
    );
  });

  it('reads retry-after-ms, seconds and HTTP dates', () => {
    assert.equal(retryAfterMs({ 'retry-after-ms': '250' }), 250);
    assert.equal(retryAfterMs({ 'retry-after': '2' }), 2000);
    assert.equal(retryAfterMs({ 'retry-after': '0.5' }), 500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now), 3000);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }), undefined);
    assert.equal(retryAfterMs({}), undefined);
  });

  it('waits at least Retry-After, and moves on when it is longer than the cap', () => {
    assert.deepEqual(
      decideRetry(1, 2, 3000, 100, 8000, () => 0),
      { retry: true, delayMs: 3000 },
    );
    assert.deepEqual(
      decideRetry(1, 2, undefined, 100, 8000, () => 0),
      { retry: true, delayMs: 50 },
    );
    assert.deepEqual(decideRetry(1, 2, 9000, 100, 8000), { retry: false, delayMs: 0 });
    assert.deepEqual(decideRetry(3, 2, undefined, 100, 8000), { retry: false, delayMs: 0 }, 'retries used up');
    assert.deepEqual(decideRetry(1, 0, undefined, 100, 8000), { retry: false, delayMs: 0 }, 'max_retries 0');
  });
});
