// Client keys through the proxy with the real `openai` and `@anthropic-ai/sdk` clients: several
// keys, each created, changed and revoked through the same code as `ai-proxy keys`, against
// mock OpenAI and Anthropic upstreams. Allow-lists, 429s with their headers, budgets running out
// and starting over, a revocation while a stream is open, and ledger rows that match the usage
// the upstreams reported, streamed and not, translated and not.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createKey, revokeKey } from '../../src/keys/service.ts';
import type { NewKey } from '../../src/keys/types.ts';
import type { LedgerRow } from '../../src/ledger/row.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { startAnthropicMock } from '../mocks/anthropic.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { anthropicProvider, openaiProvider, startInProcessProxy, TOKEN, type InProcessProxy } from './harness.ts';

const DAY = 86_400_000;

/** The error.type of an Anthropic error body ({type: "error", error: {type, message}}). */
const errorType = (body: unknown) => (body as { error?: { type?: string } } | undefined)?.error?.type;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('client keys through the proxy', () => {
  let oa: MockUpstream;
  let slow: MockUpstream;
  let an: MockUpstream;
  let px: InProcessProxy;
  let store: SqliteStore;
  let clockOffset = 0;

  before(async () => {
    oa = await startOpenAIMock();
    slow = await startOpenAIMock({ eventDelayMs: 150 });
    an = await startAnthropicMock();
    px = await startInProcessProxy(
      `providers:
${openaiProvider('oa', oa.url, '    models: [gpt-4o, gpt-4o-mini]\n')}${openaiProvider('slow', slow.url, '    models: [slow-model]\n')}${anthropicProvider('an', an.url, '    models: [claude-sonnet]\n')}
routes:
  smart: [an/claude-sonnet]
prices:
  gpt-4o*: {input: 2.5, output: 10, cached_input: 1.25}
  claude-sonnet: {input: 3, output: 15, cached_input: 0.3}
`,
      { env: 'DATA_DIR=data\n', clock: () => Date.now() + clockOffset },
    );
    // What `docker exec ... keys create` opens: the same file, another connection.
    store = SqliteStore.open(join(px.dir, 'data', 'ai-proxy.db'));
  });
  after(async () => {
    await store?.close();
    await px?.close();
    await Promise.all([oa?.close(), slow?.close(), an?.close()]);
  });

  /** Creates a key as the CLI does and waits until the proxy serves it. */
  async function key(input: NewKey): Promise<string> {
    const { secret } = await createKey(store, input);
    await until(`key ${input.name}`, async () => {
      const r = await fetch(`${px.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
      return r.status === 200 ? true : undefined;
    });
    return secret;
  }

  const openai = (apiKey: string, maxRetries = 0) => new OpenAI({ baseURL: `${px.url}/v1`, apiKey, maxRetries });
  const anthropic = (apiKey: string, maxRetries = 0) => new Anthropic({ baseURL: px.url, apiKey, maxRetries });
  const hi = [{ role: 'user' as const, content: 'hi' }];

  async function rows(keyName: string, count: number): Promise<(LedgerRow & { id: number })[]> {
    const k = await store.findKey({ name: keyName });
    return until(`${count} ledger rows of ${keyName}`, async () => {
      const page = await store.requests({ since: Date.now() - DAY, until: Date.now() + 2 * DAY, keyIds: [k!.id] });
      return page.rows.length >= count ? page.rows : undefined;
    });
  }

  it('keeps a key to its models: 403 permission_error elsewhere, and /v1/models lists only those', async () => {
    const alice = await key({ name: 'alice', models: ['gpt-4o*'] });
    const chat = await openai(alice).chat.completions.create({ model: 'gpt-4o-mini', messages: hi });
    assert.equal(chat.choices[0]!.message.content, 'mock-openai: hi');
    await assert.rejects(openai(alice).chat.completions.create({ model: 'smart', messages: hi }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.PermissionDeniedError);
      assert.equal(e.status, 403);
      assert.equal(e.code, 'model_not_allowed');
      assert.match(e.message, /API key "alice" may not use model "smart"/);
      return true;
    });
    await assert.rejects(
      anthropic(alice).messages.create({ model: 'claude-sonnet', max_tokens: 10, messages: hi }),
      (e: unknown) => e instanceof Anthropic.PermissionDeniedError && errorType(e.error) === 'permission_error',
    );
    const viaAnthropic = await anthropic(alice).messages.create({ model: 'gpt-4o', max_tokens: 10, messages: hi });
    assert.equal(viaAnthropic.content[0]!.type, 'text');
    const models = [];
    for await (const m of openai(alice).models.list()) models.push(m.id);
    assert.deepEqual(models.sort(), ['gpt-4o', 'gpt-4o-mini']);
    const all = [];
    for await (const m of openai(TOKEN).models.list()) all.push(m.id);
    assert.ok(all.includes('smart') && all.includes('slow-model'), 'AUTH_TOKEN sees every model');
  });

  it('answers rpm and tpm limits with 429 rate_limit_error, Retry-After and the limit named', async () => {
    const bob = await key({ name: 'bob', rpm: 2 });
    await openai(bob).chat.completions.create({ model: 'gpt-4o', messages: hi });
    await anthropic(bob).messages.create({ model: 'claude-sonnet', max_tokens: 10, messages: hi });
    await assert.rejects(openai(bob).chat.completions.create({ model: 'gpt-4o', messages: hi }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.RateLimitError);
      assert.equal(e.code, 'rate_limit_exceeded');
      assert.match(e.message, /key "bob" reached its limit of 2 requests per minute \(rpm\); retry after \d+ s/);
      const retryAfter = Number(e.headers?.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 120, `Retry-After ${retryAfter}`);
      return true;
    });
    await assert.rejects(
      anthropic(bob).messages.create({ model: 'claude-sonnet', max_tokens: 10, messages: hi }),
      (e: unknown) =>
        e instanceof Anthropic.RateLimitError && errorType(e.error) === 'rate_limit_error' && /rpm/.test(e.message),
    );
    const tina = await key({ name: 'tina', tpm: 10 });
    await openai(tina).chat.completions.create({ model: 'gpt-4o', messages: hi }); // ~30 tokens: over 10 now
    await assert.rejects(
      openai(tina).chat.completions.create({ model: 'gpt-4o', messages: hi }),
      (e: unknown) => e instanceof OpenAI.RateLimitError && /limit of 10 tokens per minute \(tpm\)/.test(e.message),
    );
  });

  // Without x-should-retry: false the openai SDK sleeps for the whole Retry-After (hours, until
  // the reset) before retrying: the timeout turns that into a failure.
  it('runs a budget out, tells the SDK not to retry, and starts over the next period', {
    timeout: 60_000,
  }, async () => {
    const carol = await key({ name: 'carol', budgetNano: 200_000, budgetPeriod: 'day' }); // 0.0002
    let served = 0;
    let refusal: InstanceType<typeof OpenAI.RateLimitError> | undefined;
    for (let i = 0; i < 20 && !refusal; i++) {
      // maxRetries 2: the SDK would retry a plain 429; x-should-retry: false stops it.
      await openai(carol, 2)
        .chat.completions.create({ model: 'gpt-4o', messages: hi })
        .then(
          () => served++,
          (e: unknown) => {
            if (!(e instanceof OpenAI.RateLimitError)) throw e;
            refusal = e;
          },
        );
    }
    assert.ok(refusal, 'the budget ran out');
    assert.equal(refusal.code, 'budget_exceeded');
    assert.match(
      refusal.message,
      /key "carol" has used its budget of 0\.0002 today \(it resets at \d{4}-\d\d-\d\dT00:00:00\.000Z\)/,
    );
    assert.equal(refusal.headers?.get('x-should-retry'), 'false');
    assert.ok(Number(refusal.headers?.get('retry-after')) > 0);
    // Counted when the proxy refuses, before it answers: the SDK's retries would each add one.
    const metrics = await (await fetch(`${px.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.match(metrics, /^aiproxy_key_refused_total\{key="carol",limit="budget"\} 1$/m, 'the SDK did not retry');
    const ledger = await rows('carol', served + 1);
    const spent = ledger.reduce((sum, r) => sum + (r.costNano ?? 0), 0);
    const largest = Math.max(...ledger.map((r) => r.costNano ?? 0));
    assert.ok(spent >= 200_000 && spent <= 200_000 + largest, `spent ${spent}: the budget plus at most one request`);

    clockOffset = DAY; // tomorrow
    const again = await openai(carol).chat.completions.create({ model: 'gpt-4o', messages: hi });
    assert.equal(again.choices[0]!.message.content, 'mock-openai: hi', 'a new day, a new budget');
    clockOffset = 0;
  });

  it('lets an open stream finish after its key is revoked, and refuses the next request within a second', async (t) => {
    const erin = await key({ name: 'erin' });
    const stream = await openai(erin).chat.completions.create({
      model: 'slow-model',
      messages: [{ role: 'user', content: 'one two three four five six' }],
      stream: true,
    });
    let text = '';
    let revokedAt = 0;
    let refusedAt = 0;
    let refusal: Promise<unknown> | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (refusal === undefined) {
        await revokeKey(store, 'erin');
        revokedAt = Date.now();
        // New requests, while the stream goes on, until one is refused.
        refusal = until('the revocation to take effect', async () => {
          const e = await openai(erin)
            .chat.completions.create({ model: 'gpt-4o', messages: hi })
            .then(
              () => undefined,
              (error: unknown) => error,
            );
          if (e) refusedAt = Date.now();
          return e;
        });
      }
    }
    assert.equal(text, 'mock-openai: one two three four five six', 'the stream that was open finished');
    const refused = await refusal;
    t.diagnostic(`revocation in force ${refusedAt - revokedAt} ms after the CLI's write`);
    assert.ok(refused instanceof OpenAI.AuthenticationError);
    assert.equal(refused.code, 'key_revoked');
    assert.match(refused.message, /API key "erin" has been revoked/);
    assert.ok(refusedAt - revokedAt < 5000);
  });

  it('writes ledger rows that match the usage the upstreams reported, streamed and not, translated and not', async () => {
    const frank = await key({ name: 'frank' });
    const oai = openai(frank);
    const ant = anthropic(frank);
    const id = (x: string) => ({ headers: { 'x-request-id': x } });
    const reported: Record<string, { input: number; output: number; cached: number }> = {};

    const plain = await oai.chat.completions.create(
      { model: 'gpt-4o', messages: hi, prompt_cache_key: 'k' },
      id('u-json'),
    );
    reported['u-json'] = {
      input: plain.usage!.prompt_tokens,
      output: plain.usage!.completion_tokens,
      cached: plain.usage!.prompt_tokens_details?.cached_tokens ?? 0,
    };
    const stream = await oai.chat.completions.create(
      { model: 'gpt-4o', messages: hi, stream: true, stream_options: { include_usage: true } },
      id('u-stream'),
    );
    for await (const c of stream)
      if (c.usage)
        reported['u-stream'] = { input: c.usage.prompt_tokens, output: c.usage.completion_tokens, cached: 0 };
    const translated = await oai.chat.completions.create({ model: 'smart', messages: hi }, id('u-translated'));
    reported['u-translated'] = {
      input: translated.usage!.prompt_tokens,
      output: translated.usage!.completion_tokens,
      cached: 0,
    };
    const cachedMsg = await ant.messages.create(
      {
        model: 'claude-sonnet',
        max_tokens: 10,
        system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
        messages: hi,
      },
      id('u-anthropic'),
    );
    const cu = cachedMsg.usage;
    reported['u-anthropic'] = {
      input: cu.input_tokens + (cu.cache_read_input_tokens ?? 0) + (cu.cache_creation_input_tokens ?? 0),
      output: cu.output_tokens,
      cached: cu.cache_read_input_tokens ?? 0,
    };
    const antStream = ant.messages.stream({ model: 'gpt-4o', max_tokens: 10, messages: hi }, id('u-anthropic-stream'));
    const final = await antStream.finalMessage();
    reported['u-anthropic-stream'] = { input: final.usage.input_tokens, output: final.usage.output_tokens, cached: 0 };

    const ledger = Object.fromEntries((await rows('frank', 5)).map((r) => [r.requestId, r]));
    for (const [rid, want] of Object.entries(reported)) {
      const row = ledger[rid];
      assert.ok(row, `a row for ${rid}`);
      assert.deepEqual(
        { input: row.inputTokens, output: row.outputTokens, cached: row.cachedTokens },
        want,
        `${rid}: the ledger has what the upstream reported`,
      );
      assert.equal(row.status, 200);
      assert.ok(Number.isInteger(row.ts) && Math.abs(row.ts - Date.now()) < 60_000, `${rid}: ts in whole ms`);
      assert.ok(row.ttfbMs !== null && row.ttfbMs > 0 && row.ttfbMs <= row.latencyMs, `${rid}: ttfb within latency`);
    }
    assert.deepEqual(
      [ledger['u-json']!.stream, ledger['u-stream']!.stream, ledger['u-anthropic-stream']!.stream],
      [false, true, true],
    );
    assert.deepEqual(
      [ledger['u-translated']!.route, ledger['u-translated']!.provider, ledger['u-translated']!.model],
      ['smart', 'an', 'claude-sonnet'],
    );
    assert.equal(reported['u-json']!.cached, 8, 'the cached prompt tokens the upstream reported');
    assert.equal(reported['u-anthropic']!.cached, 16);
    // gpt-4o: (input - 8 cached) x 2.5 + 8 x 1.25 + output x 10 per million tokens, in nano-units.
    const j = reported['u-json']!;
    assert.equal(ledger['u-json']!.costNano, Math.round((j.input - 8) * 2500 + 8 * 1250 + j.output * 10_000));
    const a = reported['u-anthropic']!;
    assert.equal(ledger['u-anthropic']!.costNano, Math.round((a.input - 16) * 3000 + 16 * 300 + a.output * 15_000));
  });

  it('counts per key in Prometheus (AUTH_TOKEN only) and shows the store in /health', async () => {
    const metrics = await fetch(`${px.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await metrics.text();
    assert.match(text, /^aiproxy_key_requests_total\{key="frank",status="200"\} 5$/m);
    assert.match(text, /^aiproxy_key_refused_total\{key="bob",limit="rpm"\} 2$/m);
    assert.match(text, /^aiproxy_key_refused_total\{key="alice",limit="model"\} 2$/m);
    assert.match(text, /^aiproxy_key_tokens_total\{key="frank",kind="cached"\} 24$/m);
    const asKey = await fetch(`${px.url}/metrics`, {
      headers: { authorization: `Bearer ${await key({ name: 'gina' })}` },
    });
    assert.equal(asKey.status, 403);
    const health = (await (await fetch(`${px.url}/health`)).json()) as {
      status: string;
      components: Record<string, { status: string; keys?: number }>;
    };
    assert.equal(health.status, 'ok');
    assert.deepEqual(
      [health.components.store!.status, health.components.ledger!.status, health.components.limits!.status],
      ['ok', 'ok', 'ok'],
    );
    assert.equal(health.components.keys!.keys, 7, 'alice, bob, tina, carol, erin (revoked), frank, gina');
  });
});
