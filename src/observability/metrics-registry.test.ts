import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, labelKey, Registry } from './metrics-registry.ts';

describe('metrics registry', () => {
  it('renders counters and cumulative histograms in Prometheus text format', () => {
    const r = new Registry();
    const c = r.register(new Counter('x_total', 'help x'));
    const h = r.register(new Histogram('d_seconds', 'help d', [0.1, 1]));
    c.inc(labelKey({ a: 'q"1' }));
    c.inc(labelKey({ a: 'q"1' }), 2);
    h.observe('p="1"', 0.05);
    h.observe('p="1"', 0.5);
    h.observe('p="1"', 5);
    assert.equal(
      r.render(),
      '# HELP x_total help x\n# TYPE x_total counter\nx_total{a="q\\"1"} 3\n' +
        '# HELP d_seconds help d\n# TYPE d_seconds histogram\n' +
        'd_seconds_bucket{p="1",le="0.1"} 1\nd_seconds_bucket{p="1",le="1"} 2\nd_seconds_bucket{p="1",le="+Inf"} 3\n' +
        'd_seconds_sum{p="1"} 5.55\nd_seconds_count{p="1"} 3\n',
    );
  });
});
