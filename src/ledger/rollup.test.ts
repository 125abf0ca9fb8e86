import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUCKET_BOUNDS, bucketOf, bucketSql, HOUR_MS, histogramQuantiles, rollupCells } from './rollup.ts';
import type { LedgerRow } from './row.ts';

const row = (over: Partial<LedgerRow>): LedgerRow => ({
  ts: 10 * HOUR_MS,
  requestId: 'r',
  keyId: 'key_a',
  endpoint: '/v1/chat/completions',
  route: 'smart',
  provider: 'openai',
  model: 'gpt-4o',
  stream: false,
  status: 200,
  inputTokens: 10,
  outputTokens: 5,
  cachedTokens: 2,
  costNano: 100,
  latencyMs: 40,
  ttfbMs: 12,
  error: null,
  ...over,
});

describe('hourly rollup', () => {
  it('adds a batch up into one cell per hour, key, route, provider and model', () => {
    const { hourly, histogram } = rollupCells([
      row({}),
      row({ ts: 10 * HOUR_MS + 59_000, status: 502, costNano: null, latencyMs: 900, ttfbMs: null }),
      row({ keyId: null }),
      row({ ts: 11 * HOUR_MS }),
    ]);
    assert.deepEqual(
      hourly.map((c) => c.slice(0, 2)),
      [
        [10, 'key_a'],
        [10, 'admin'],
        [11, 'key_a'],
      ],
    );
    // requests, errors, in, out, cached, cost, unpriced, latency sum, ttfb sum, ttfb count, latency max
    assert.deepEqual(hourly[0]!.slice(5), [2, 1, 20, 10, 4, 100, 1, 940, 12, 1, 900]);
    const latency10 = histogram.filter((c) => c[0] === 10 && c[2] === 'latency');
    assert.deepEqual(
      latency10.map((c) => [c[3], c[4]]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [bucketOf(40), 2],
        [bucketOf(900), 1],
      ],
    );
  });

  it('puts a value in the same bucket in JavaScript and in SQL', () => {
    for (const v of [0, 0.5, 1, 49.9, 50, 1000, 299_999, 300_000, 1e7]) {
      const sql = bucketSql('v');
      const js = bucketOf(v);
      // Evaluate the CASE by hand: the first bound v is under.
      const expected = BUCKET_BOUNDS.findIndex((b) => v < b);
      assert.equal(js, expected === -1 ? BUCKET_BOUNDS.length : expected, `${v}`);
      assert.ok(sql.startsWith('CASE WHEN v < 1 THEN 0'));
    }
  });

  it('estimates quantiles inside the bucket that holds their rank', () => {
    const b100 = bucketOf(100);
    const b1000 = bucketOf(1000);
    const rows = [
      { g: 'openai', bucket: b100, n: 90 },
      { g: 'openai', bucket: b1000, n: 10 },
    ];
    const [g] = histogramQuantiles(
      { since: 0, until: HOUR_MS, metric: 'latency', by: 'provider', quantiles: [0.5, 0.95] },
      rows,
    );
    assert.equal(g!.count, 100);
    assert.ok(g!.values['0.5']! >= 100 && g!.values['0.5']! < 150);
    assert.ok(g!.values['0.95']! >= 1000 && g!.values['0.95']! < 1500);
  });
});
