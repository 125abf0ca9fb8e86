import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inMemoryApp, requestInMemory, TEST_TOKEN } from '../http/in-memory.ts';
import {
  endpointLabel,
  failureKindLabel,
  KEY_SERIES,
  keyLabel,
  providerLabel,
  routeLabel,
  statusLabel,
  tokenLabels,
} from './labels.ts';

describe('metric labels', () => {
  it('escape every value (backslash, quote, newline) the Prometheus way', () => {
    assert.equal(routeLabel('a"b\\c\nd'), 'route="a\\"b\\\\c\\nd"');
    assert.equal(providerLabel('p"'), 'provider="p\\""');
    assert.deepEqual(tokenLabels('p', 'm"1'), {
      prompt: 'provider="p",model="m\\"1",kind="prompt"',
      completion: 'provider="p",model="m\\"1",kind="completion"',
    });
    assert.equal(endpointLabel('/v1/x"y'), 'endpoint="other"', 'an unknown path is never a label value');
    assert.equal(failureKindLabel('http_503'), 'kind="http_503"');
    assert.equal(statusLabel(499), 'status="499"');
  });

  it('name every path but the API ones "other", and stay the same for values seen many times', () => {
    assert.equal(endpointLabel('/health/live'), 'endpoint="other"');
    assert.equal(endpointLabel('/v1/chat/completions'), 'endpoint="/v1/chat/completions"');
    assert.equal(endpointLabel('/v1/models'), 'endpoint="/v1/models"');
    for (const path of ['/v1/1aaaa', '/v1/"x', '/v1/chat/completions/', '/v1/x\\'])
      assert.equal(endpointLabel(path), 'endpoint="other"', path);
    for (let i = 0; i < 1000; i++) assert.equal(statusLabel(200 + (i % 400)), `status="${200 + (i % 400)}"`);
  });

  it('give at most KEY_SERIES key names a value of their own (the store may hold any number), the rest "_other"', () => {
    const names = Array.from({ length: KEY_SERIES + 50 }, (_, i) => `team-${i}`);
    const labels = names.map((n) => keyLabel(n));
    const own = labels.filter((l, i) => l === `key="${names[i]}"`).length;
    assert.ok(own > 0 && own <= KEY_SERIES, `${own} keys with their own series`);
    assert.equal(labels.at(-1), 'key="_other"');
    assert.equal(keyLabel(names[0]!), 'key="team-0"', 'a key seen before keeps its series');
  });
});

describe('request metrics (in memory)', () => {
  const app = inMemoryApp(`providers:
  - {name: echo, type: echo, models: [echo]}
routes:
  'we"ird\\route': [echo/echo]
`);
  const headers = { 'x-api-key': TEST_TOKEN };

  it('count each request by endpoint, route, provider and status, with escaped values', async () => {
    const chat = { model: 'we"ird\\route', messages: [{ role: 'user', content: 'one two three' }] };
    assert.equal((await requestInMemory(app.handle, '/v1/chat/completions', { headers, body: chat })).status, 200);
    await requestInMemory(app.handle, '/v1/chat/completions', { headers, body: { model: 'missing' } });
    await requestInMemory(app.handle, '/health/live');
    const metrics = (await requestInMemory(app.handle, '/metrics', { headers })).body;
    const line = (series: string) => metrics.split('\n').find((l) => l.startsWith(`${series} `));
    assert.equal(
      line(
        'aiproxy_requests_total{endpoint="/v1/chat/completions",route="we\\"ird\\\\route",provider="echo",status="200"}',
      ),
      'aiproxy_requests_total{endpoint="/v1/chat/completions",route="we\\"ird\\\\route",provider="echo",status="200"} 1',
    );
    // An unknown model is not a route: clients cannot add label values.
    assert.ok(line('aiproxy_requests_total{endpoint="/v1/chat/completions",route="unknown",provider="",status="404"}'));
    assert.ok(line('aiproxy_requests_total{endpoint="other",route="",provider="",status="200"}'));
    assert.ok(line('aiproxy_request_duration_seconds_count{endpoint="/v1/chat/completions",provider="echo"}'));
    assert.doesNotMatch(metrics, /missing/);
  });
});
