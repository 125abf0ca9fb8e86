import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, isFresh, MAX_BACKOFF_MS, MIN_BACKOFF_MS, nextRenewal, renewalPoint } from './schedule.ts';

const DAY = 86_400_000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const cert = (lifeMs: number) => ({ notBefore: t0, notAfter: at(lifeMs) });

describe('nextRenewal', () => {
  it('renews a 90-day certificate after 60 days (2/3 and 30 days before expiry agree)', () => {
    assert.equal(renewalPoint(cert(90 * DAY)).toISOString(), at(60 * DAY).toISOString());
  });

  it('renews a 60-day certificate 30 days before expiry, which comes before 2/3', () => {
    assert.equal(nextRenewal(cert(60 * DAY), at(DAY)).toISOString(), at(30 * DAY).toISOString());
  });

  it('renews a one-year certificate at 2/3 of its life, which comes before 30 days', () => {
    assert.equal(renewalPoint(cert(360 * DAY)).toISOString(), at(240 * DAY).toISOString());
  });

  it('renews a short-lived certificate at half its life, not at once', () => {
    assert.equal(renewalPoint(cert(6 * DAY)).toISOString(), at(3 * DAY).toISOString());
    assert.equal(renewalPoint(cert(30_000)).toISOString(), at(15_000).toISOString());
  });

  it('orders at once without a certificate, and never schedules in the past', () => {
    assert.equal(nextRenewal(undefined, at(5)).toISOString(), at(5).toISOString());
    assert.equal(nextRenewal(cert(90 * DAY), at(80 * DAY)).toISOString(), at(80 * DAY).toISOString());
  });

  it('after a failure waits the backoff, from 1 minute doubling up to 6 hours', () => {
    const max = () => 1;
    const failedAt = at(61 * DAY);
    assert.equal(
      nextRenewal(cert(90 * DAY), failedAt, { at: failedAt, attempts: 1 }, max).getTime() - failedAt.getTime(),
      MIN_BACKOFF_MS,
    );
    assert.equal(
      nextRenewal(cert(90 * DAY), failedAt, { at: failedAt, attempts: 3 }, max).getTime() - failedAt.getTime(),
      4 * MIN_BACKOFF_MS,
    );
    assert.equal(
      nextRenewal(undefined, failedAt, { at: failedAt, attempts: 30 }, max).getTime() - failedAt.getTime(),
      MAX_BACKOFF_MS,
    );
  });

  it('a failure long ago does not delay a renewal that is due', () => {
    const now = at(70 * DAY);
    assert.equal(nextRenewal(cert(90 * DAY), now, { at: at(DAY), attempts: 2 }).toISOString(), now.toISOString());
  });

  it('jitter spreads the backoff between half and all of it, never under 1 minute', () => {
    assert.equal(
      backoffMs(5, () => 0),
      8 * MIN_BACKOFF_MS,
    );
    assert.equal(
      backoffMs(5, () => 1),
      16 * MIN_BACKOFF_MS,
    );
    assert.equal(
      backoffMs(1, () => 0),
      MIN_BACKOFF_MS,
    );
    for (let i = 0; i < 50; i++) {
      const d = backoffMs(20);
      assert.ok(d >= MAX_BACKOFF_MS / 2 && d <= MAX_BACKOFF_MS, String(d));
    }
  });

  it('a stored certificate is reused only before its renewal point', () => {
    assert.equal(isFresh(cert(90 * DAY), at(59 * DAY)), true);
    assert.equal(isFresh(cert(90 * DAY), at(61 * DAY)), false);
  });
});
