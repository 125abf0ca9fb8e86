import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenAuth } from './auth.ts';
import { Logger } from '../observability/logger.ts';
import { Counter, Histogram, labelKey, Registry } from '../observability/metrics-registry.ts';
import { RateLimiter } from './rate-limit.ts';
import { extractUsageObject } from '../proxy/relay.ts';
import { requestId } from './request-id.ts';
import { randomId } from '../random-id.ts';

describe('TokenAuth', () => {
  const auth = new TokenAuth('s'.repeat(40));
  it('accepts Bearer (any case) and x-api-key, rejects the rest', () => {
    assert.ok(auth.check(TokenAuth.presented({ authorization: `Bearer ${'s'.repeat(40)}` })));
    assert.ok(auth.check(TokenAuth.presented({ authorization: `bearer ${'s'.repeat(40)}` })));
    assert.ok(auth.check(TokenAuth.presented({ 'x-api-key': 's'.repeat(40) })));
    assert.ok(!auth.check(TokenAuth.presented({ authorization: `Basic ${'s'.repeat(40)}` })));
    assert.ok(!auth.check(TokenAuth.presented({ 'x-api-key': 's'.repeat(39) })));
    assert.ok(!auth.check(undefined));
  });
});

describe('RateLimiter', () => {
  it('allows the burst, then asks to wait, then refills', () => {
    const rl = new RateLimiter(60, 2);
    assert.equal(rl.take('a', 0), 0);
    assert.equal(rl.take('a', 0), 0);
    assert.equal(rl.take('a', 0), 1);
    assert.equal(rl.take('b', 0), 0, 'per token');
    assert.equal(rl.take('a', 1000), 0, 'one request per second refills');
  });
});

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

describe('extractUsageObject', () => {
  it('finds the last usage object without parsing the rest', () => {
    assert.deepEqual(extractUsageObject('{"data":[1,2],"usage":{"prompt_tokens":4,"d":{"x":"}"}}}'), {
      prompt_tokens: 4,
      d: { x: '}' },
    });
    assert.equal(extractUsageObject('{"usage":null}'), undefined);
    assert.equal(extractUsageObject('{"a":1}'), undefined);
  });
});

describe('Logger', () => {
  it('writes JSON lines at or above its level, with secrets removed', async () => {
    const out: string[] = [];
    const log = new Logger('info', { write: (s: string) => out.push(s) });
    log.setSecrets(['supersecretvalue']);
    log.debug('hidden');
    log.info('shown', { error: 'key supersecretvalue leaked' });
    log.flush();
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].msg, 'shown');
    assert.equal(lines[0].error, 'key [REDACTED] leaked');
  });
});

describe('requestId', () => {
  it('keeps a safe incoming id and replaces anything else', () => {
    assert.equal(requestId('req_1.2:3-x'), 'req_1.2:3-x');
    assert.match(requestId('has space'), /^[0-9a-f-]{36}$/);
    assert.match(requestId('x'.repeat(129)), /^[0-9a-f-]{36}$/);
    assert.match(requestId(undefined), /^[0-9a-f-]{36}$/);
  });
});

describe('TokenAuth compares every byte', () => {
  const token = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const auth = new TokenAuth(token);
  it('rejects a token differing only in its last byte, a prefix, an extension and an empty one', () => {
    assert.ok(auth.check(token));
    assert.ok(!auth.check(`${token.slice(0, -1)}X`));
    assert.ok(!auth.check(`X${token.slice(1)}`));
    assert.ok(!auth.check(token.slice(0, -1)));
    assert.ok(!auth.check(`${token}a`));
    assert.ok(!auth.check(''));
    assert.ok(!auth.check('é'.repeat(18)), 'same byte length, different bytes');
  });
});

describe('randomId', () => {
  it('has the UUID v4 layout and does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => randomId()));
    assert.equal(ids.size, 10_000);
    for (const id of [...ids].slice(0, 100))
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
