// Failure handling with real SDK clients: retries, fallback, Retry-After, timeouts, broken
// streams, client aborts, auth, size and rate limits.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startAnthropicMock } from '../mocks/anthropic.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { anthropicProvider, openaiProvider, startProxy, TOKEN, type RunningProxy } from './harness.ts';
import { targetLabel } from './target.ts';

describe(`resilience (${targetLabel()})`, () => {
  let first: MockUpstream;
  let second: MockUpstream;
  let an: MockUpstream;
  let px: RunningProxy;
  let client: OpenAI;

  before(async () => {
    first = await startOpenAIMock();
    second = await startOpenAIMock();
    an = await startAnthropicMock();
    px = await startProxy(`providers:
${openaiProvider('first', first.url, '    max_retries: 1\n    timeout: 0.5\n')}${openaiProvider('second', second.url, '    max_retries: 0\n')}${anthropicProvider('an', an.url, '    max_retries: 0\n    models: [claude-x]\n')}routes:
  fb: [first/m1, second/m2]
  solo: [first/m1]
  only-second: [second/m2]
  solo-an: [an/claude-x]
server:
  retry_base_delay: 0.01
  retry_max_delay: 2
  max_body_bytes: 4096
  rate_limit: { requests_per_minute: 60, burst: 200 }
`);
    client = new OpenAI({ apiKey: TOKEN, baseURL: `${px.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await px.close();
    await Promise.all([first.close(), second.close(), an.close()]);
  });

  const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

  it('retries a 500, then falls back to the next target of the route', async () => {
    const before1 = first.requests.length;
    const before2 = second.requests.length;
    first.script({ kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    const { data: r, request_id } = await client.chat.completions
      .create({ model: 'fb', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    assert.equal(r.choices[0]!.message.content, 'mock-openai: hi');
    assert.equal(first.requests.length - before1, 2, 'first target: one try and one retry');
    assert.equal(second.requests.length - before2, 1);
    assert.equal(second.requests.at(-1)!.body.model, 'm2');
    // this request's own log line, found by the id the proxy sent back in x-request-id
    const line = await px.logLine((l) => l.request_id === request_id);
    assert.equal(line.provider, 'second');
    assert.equal(line.retries, 1);
    assert.equal(line.attempts, 3);
  });

  it('returns an upstream 400 to the client as is: no retry, no fallback', async () => {
    const n1 = first.requests.length;
    const n2 = second.requests.length;
    first.script({
      kind: 'status',
      status: 400,
      body: { error: { message: 'messages[0] is bad', type: 'invalid_request_error', code: 'bad_messages' } },
    });
    await assert.rejects(ask('fb'), (e: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 'bad_messages');
      assert.match(e.message, /messages\[0\] is bad/);
      return true;
    });
    assert.equal(first.requests.length, n1 + 1);
    assert.equal(second.requests.length, n2);
  });

  it('waits for Retry-After on 429 and then succeeds on the same target', async () => {
    first.script({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '1' },
      body: { error: { message: 'slow down', type: 'rate_limit_error' } },
    });
    const t0 = Date.now();
    const r = await ask('solo');
    assert.equal(r.choices[0]!.message.content, 'mock-openai: hi');
    assert.ok(Date.now() - t0 >= 950, 'the retry waited for Retry-After');
  });

  it('passes a long Retry-After back to the client instead of waiting', async () => {
    first.script({ kind: 'status', status: 429, headers: { 'retry-after': '60' } });
    await assert.rejects(ask('solo'), (e: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(e.status, 429);
      assert.equal(e.headers?.get('retry-after'), '60');
      return true;
    });
  });

  it('times out a silent upstream (504) and cancels the request upstream', async () => {
    const index = first.requests.length;
    first.script({ kind: 'hang' }, { kind: 'hang' });
    await assert.rejects(
      ask('solo'),
      (e: InstanceType<typeof OpenAI.APIError>) =>
        e.status === 504 && (e.error as { type?: string }).type === 'timeout_error',
    );
    assert.equal(first.requests.length, index + 2, 'one try and one retry');
    // the 504 can reach the client before the mock has seen the second connection close
    assert.equal(await first.waitForAbort(index), true, 'the first timed-out attempt was closed upstream');
    assert.equal(await first.waitForAbort(index + 1), true, 'the retry was closed upstream');
  });

  it('falls back when the stream breaks before its first event', async () => {
    first.script({ kind: 'reset-after', events: 0 }, { kind: 'reset-after', events: 0 });
    const stream = await client.chat.completions.create({
      model: 'fb',
      stream: true,
      messages: [{ role: 'user', content: 'a b' }],
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    assert.equal(text, 'mock-openai: a b');
  });

  it('reports a connection reset mid-stream as an error, not a clean end (OpenAI client)', async () => {
    first.script({ kind: 'reset-after', events: 3 });
    const stream = await client.chat.completions.create({
      model: 'solo',
      stream: true,
      messages: [{ role: 'user', content: 'one two three four five' }],
    });
    let text = '';
    await assert.rejects(async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    }, /upstream first/);
    assert.ok(text.length > 0, 'some content arrived before the reset');
  });

  it('reports a connection reset mid-stream as an error event (Anthropic client)', async () => {
    an.script({ kind: 'reset-after', events: 4 });
    const anthropic = new Anthropic({ apiKey: TOKEN, baseURL: px.url, maxRetries: 0 });
    const stream = anthropic.messages.stream({
      model: 'solo-an',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'one two three' }],
    });
    await assert.rejects(stream.finalMessage(), /upstream an/);
  });

  it('cancels the upstream request when the client goes away mid-stream', async () => {
    // This request's own abort, by its index: earlier tests aborted other requests on this mock.
    // Provider "second" has the default timeout: "first" would cut the stalled stream itself
    // after 0.5 s of silence, and that would pass for a cancellation.
    const index = second.requests.length;
    second.script({ kind: 'stall-after', events: 2 });
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'only-second', stream: true, messages: [{ role: 'user', content: 'x y z' }] },
      { signal: ac.signal },
    );
    try {
      for await (const _ of stream) ac.abort();
    } catch {
      // the SDK may or may not surface its own abort
    }
    assert.equal(second.requests.length, index + 1, 'one upstream request, no retry');
    assert.equal(await second.waitForAbort(index), true, 'the stalled upstream request was closed by the proxy');
  });

  it('cancels the upstream request when the client goes away before the answer', async () => {
    second.script({ kind: 'hang' });
    const before = second.requests.length;
    const ac = new AbortController();
    const pending = client.chat.completions
      .create({ model: 'only-second', messages: [{ role: 'user', content: 'x' }] }, { signal: ac.signal })
      .catch((e: Error) => e);
    for (let i = 0; i < 500 && second.requests.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await pending;
    assert.equal(second.requests.length, before + 1, 'one upstream request, no retry');
    assert.equal(await second.waitForAbort(before), true, 'the hanging upstream request was closed by the proxy');
  });

  it('answers 401 to a wrong token without calling upstream', async () => {
    const n = first.requests.length;
    const bad = new OpenAI({ apiKey: 'wrong-token', baseURL: `${px.url}/v1`, maxRetries: 0 });
    await assert.rejects(
      bad.chat.completions.create({ model: 'solo', messages: [{ role: 'user', content: 'x' }] }),
      (e: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(e.status, 401);
        assert.equal((e.error as { type?: string }).type, 'authentication_error');
        return true;
      },
    );
    assert.equal(first.requests.length, n);
  });

  it('answers 413 to a body over the limit', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'solo', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
      (e: InstanceType<typeof OpenAI.APIError>) =>
        e.status === 413 && (e.error as { type?: string }).type === 'request_too_large',
    );
  });

  it('keeps a sane x-request-id and makes one otherwise', async () => {
    const r1 = await fetch(`${px.url}/ping`, { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(r1.headers.get('x-request-id'), 'abc-123');
    const r2 = await fetch(`${px.url}/v1/nope`, { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(r2.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(r2.status, 404);
    assert.deepEqual(Object.keys(((await r2.json()) as { error: object }).error).sort(), ['code', 'message', 'type']);
  });

  it('reports an unknown model as 404 model_not_found', async () => {
    await assert.rejects(
      ask('nope'),
      (e: InstanceType<typeof OpenAI.APIError>) => e.status === 404 && e.code === 'model_not_found',
    );
  });

  it('counts retries, fallbacks and upstream errors in /metrics', async () => {
    const text = await (await fetch(`${px.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.match(text, /aiproxy_retries_total\{provider="first"\} [1-9]/);
    assert.match(text, /aiproxy_fallbacks_total\{route="fb"\} [1-9]/);
    assert.match(text, /aiproxy_upstream_errors_total\{provider="first",kind="http_500"\} 1/);
    assert.match(text, /aiproxy_upstream_errors_total\{provider="first",kind="timeout"\} 2/);
    assert.match(
      text,
      /aiproxy_upstream_errors_total\{provider="first",kind="reset"\} [1-9]/,
      'a mid-stream reset counts as an upstream error',
    );
    assert.match(
      text,
      /aiproxy_request_duration_seconds_bucket\{endpoint="\/v1\/chat\/completions",provider="second",le="\+Inf"\} \d+/,
    );
  });

  it('shows a provider that keeps failing as degraded in /health, without calling upstream', async () => {
    const n = first.requests.length;
    first.script(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
    );
    await assert.rejects(ask('solo'));
    await assert.rejects(ask('solo'));
    const health = (await (await fetch(`${px.url}/health`)).json()) as {
      status: string;
      components: { providers: Record<string, { status: string }> };
    };
    assert.equal(health.status, 'degraded');
    assert.equal(health.components.providers.first!.status, 'failing');
    assert.equal(health.components.providers.second!.status, 'ok');
    assert.equal(first.requests.length, n + 4, 'health made no upstream call');
    await ask('solo');
    const again = (await (await fetch(`${px.url}/health`)).json()) as { status: string };
    assert.equal(again.status, 'ok');
  });
});

describe('a body over the limit still being sent', () => {
  it('answers 413 to a large body still being sent, without a connection reset', async () => {
    // A body larger than what loopback's socket buffers hold is still being written when the 413
    // goes out. The proxy reads and drops up to LINGER_FACTOR (8) times max_body_bytes after its
    // answer (a lingering close): closing at once would reset the client before it reads the 413.
    // Only the run against the executable (test/executable/) can catch that: a client in another
    // process got ECONNRESET from a proxy that stopped reading after 32 KiB; one in this process does not.
    const px = await startProxy(
      'providers:\n  - {name: echo, type: echo, models: [echo]}\nserver:\n  max_body_bytes: 4194304\n',
    );
    try {
      const content = 'x'.repeat(20 * 1024 * 1024);
      const big = JSON.stringify({ model: 'echo', messages: [{ role: 'user', content }] });
      const r = await fetch(`${px.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: big,
      });
      assert.equal(r.status, 413);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'request_too_large');
    } finally {
      await px.close();
    }
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past the per-token budget', async () => {
    const px = await startProxy(`providers:
  - name: echo
    type: echo
    models: [echo]
server:
  rate_limit: { requests_per_minute: 6, burst: 2 }
`);
    try {
      const client = new OpenAI({ apiKey: TOKEN, baseURL: `${px.url}/v1`, maxRetries: 0 });
      const ask = () => client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'x' }] });
      await ask();
      await ask();
      await assert.rejects(ask(), (e: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(e.status, 429);
        assert.ok(Number(e.headers?.get('retry-after')) >= 1);
        return true;
      });
    } finally {
      await px.close();
    }
  });
});

describe('disabled providers', () => {
  it('is not ready when no provider has its key, and says which variable is missing', async () => {
    const px = await startProxy(`providers:
  - name: oa
    type: openai
    api_key: \${MISSING_KEY}
    models: [gpt-4o]
`);
    try {
      assert.equal((await fetch(`${px.url}/health/live`)).status, 200);
      assert.equal((await fetch(`${px.url}/health/ready`)).status, 503);
      const health = await fetch(`${px.url}/health`);
      assert.equal(health.status, 503);
      const body = (await health.json()) as {
        status: string;
        components: { providers: Record<string, { status: string; reason: string }> };
      };
      assert.equal(body.status, 'error');
      assert.equal(body.components.providers.oa!.status, 'disabled');
      assert.match(body.components.providers.oa!.reason, /MISSING_KEY not set/);
      const client = new OpenAI({ apiKey: TOKEN, baseURL: `${px.url}/v1`, maxRetries: 0 });
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
        (e: InstanceType<typeof OpenAI.APIError>) => e.status === 503 && /MISSING_KEY/.test(e.message),
      );
    } finally {
      await px.close();
    }
  });
});

describe('slow clients', () => {
  /** Sends `text` on a raw socket and resolves with whatever the server answers before closing. */
  function rawExchange(url: string, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const { port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
      let got = '';
      socket.on('data', (c) => (got += c.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`socket still open; got: ${got}`));
      }, 8000).unref();
    });
  }

  it('cuts off a client that sends its headers or body too slowly (408)', async () => {
    const px = await startProxy(`providers:
  - name: echo
    type: echo
    models: [echo]
server:
  header_timeout: 0.5
  body_timeout: 1
`);
    try {
      const headers = await rawExchange(px.url, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
      assert.match(headers, /^HTTP\/1\.1 408/);
      const body = await rawExchange(
        px.url,
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\n{"model":`,
      );
      assert.match(body, /^HTTP\/1\.1 408/);
    } finally {
      await px.close();
    }
  });

  it('stops reading a stream upstream while its client does not read, then cuts both off', async () => {
    const upstream = await startOpenAIMock();
    const px = await startProxy(`providers:
${openaiProvider('up', upstream.url, '    max_retries: 0\n')}routes:
  flood: [up/m1]
server:
  write_timeout: 2
`).catch(async (error: unknown) => {
      await upstream.close();
      throw error;
    });
    const { port } = new URL(px.url);
    const body = JSON.stringify({ model: 'flood', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const socket = connect(Number(port), '127.0.0.1');
    try {
      upstream.script({ kind: 'flood' });
      socket.pause(); // reads nothing, ever
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      assert.equal(
        await upstream.waitForAbort(0, 10_000),
        true,
        'the upstream request was not cancelled after the write timeout',
      );
      // Paused, the flood stops once the socket buffers on both sides are full (~8 MB here);
      // a proxy that kept reading would have taken 90-380 MB into memory in those 2 seconds.
      const taken = upstream.requests.at(-1)?.flooded ?? 0;
      assert.ok(
        taken > 0 && taken < 32 * 1024 * 1024,
        `the proxy read ${taken} bytes of a stream its client was not reading`,
      );
    } finally {
      socket.destroy();
      await px.close();
      await upstream.close();
    }
  });
});
