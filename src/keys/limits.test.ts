import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatCount,
  formatMoney,
  parseBudget,
  parseCount,
  parseExpiry,
  parseMoney,
  parseTokenBudget,
} from './limits.ts';
import { periodEnd, periodStart } from './periods.ts';

const NOW = Date.UTC(2026, 4, 20, 15, 30); // Wednesday 2026-05-20

describe('limit values', () => {
  it('parses counts with k/M suffixes', () => {
    assert.equal(parseCount('60', '--rpm'), 60);
    assert.equal(parseCount('200k', '--tpm'), 200_000);
    assert.equal(parseCount('1.5M', '--tpm'), 1_500_000);
    for (const bad of ['0', '-1', 'x', '1e3', '', '2^60']) assert.throws(() => parseCount(bad, '--rpm'), /--rpm/);
  });

  it('parses money exactly into nano-units', () => {
    assert.equal(parseMoney('20', 'b'), 20_000_000_000);
    assert.equal(parseMoney('$0.1', 'b'), 100_000_000);
    assert.equal(parseMoney('12.345678901', 'b'), 12_345_678_901);
    for (const bad of ['0', '1.2345678901', 'ten', '-5', '2000000']) assert.throws(() => parseMoney(bad, 'b'));
  });

  it('parses budgets with a period, and says what to write without one', () => {
    assert.deepEqual(parseBudget('20/month'), { budgetNano: 20e9, budgetPeriod: 'month' });
    assert.deepEqual(parseTokenBudget('5M/day'), { budgetTokens: 5e6, budgetPeriod: 'day' });
    assert.throws(() => parseBudget('20'), /needs a period: AMOUNT\/day\|week\|month\|total \(e\.g\. 20\/month\)/);
    assert.throws(() => parseBudget('20/year'), /needs a period/);
  });

  it('parses expiry dates (end of that UTC day) and durations; refuses the past', () => {
    assert.equal(parseExpiry('2026-12-31', NOW), Date.UTC(2027, 0, 1));
    assert.equal(parseExpiry('90d', NOW), NOW + 90 * 86_400_000);
    assert.equal(parseExpiry('2026-06-01T12:00:00Z', NOW), Date.UTC(2026, 5, 1, 12));
    assert.throws(() => parseExpiry('2026-02-30', NOW), /is not a date/);
    assert.throws(() => parseExpiry('2020-01-01', NOW), /in the past/);
    assert.throws(() => parseExpiry('soon', NOW), /is not a date/);
  });

  it('prints money and counts', () => {
    assert.equal(formatMoney(20e9), '20.00');
    assert.equal(formatMoney(1_234_500), '0.0012345');
    assert.equal(formatMoney(-1e9), '-1.00');
    assert.equal(formatCount(9999), '9999');
    assert.equal(formatCount(200_000), '200k');
    assert.equal(formatCount(1_540_000), '1.5M');
  });
});

describe('budget periods (UTC calendar)', () => {
  it('starts days at midnight, weeks on Monday, months on the 1st', () => {
    assert.equal(periodStart('day', NOW), Date.UTC(2026, 4, 20));
    assert.equal(periodStart('week', NOW), Date.UTC(2026, 4, 18));
    assert.equal(periodStart('week', Date.UTC(2026, 4, 24, 23)), Date.UTC(2026, 4, 18), 'Sunday is the last day');
    assert.equal(periodStart('month', NOW), Date.UTC(2026, 4, 1));
    assert.equal(periodStart('total', NOW), 0);
  });

  it('ends where the next period starts', () => {
    assert.equal(periodEnd('day', NOW), Date.UTC(2026, 4, 21));
    assert.equal(periodEnd('week', NOW), Date.UTC(2026, 4, 25));
    assert.equal(periodEnd('month', Date.UTC(2026, 11, 31, 23)), Date.UTC(2027, 0, 1));
    assert.equal(periodEnd('total', NOW), undefined);
  });
});
