import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRoutes, resolveProviders } from '../config/load.ts';
import { parseProviderConfig } from '../config/provider-config.ts';
import { TranslateError } from '../translate/errors.ts';
import { PoolSet } from '../upstream/pools.ts';
import { planRequest } from './plan.ts';
import { DROPPED_TOOLS_HEADER } from './plan-responses.ts';
import { compileRuntime, type Runtime } from './runtime.ts';

const yaml = `providers:
  - {name: oa, type: openai, api_key: k1, models: [gpt]}
  - {name: an, type: anthropic, api_key: k3, models: [claude]}
  - {name: chat, type: openai-compatible, base_url: "http://10.0.0.1:8000/v1", responses_api: false, models: [qwen]}
  - {name: native, type: openai-compatible, base_url: "http://10.0.0.2:8000/v1", responses_api: true, models: [big]}
`;

function runtime(): Runtime {
  const cfg = parseProviderConfig(yaml);
  return compileRuntime(
    {
      dir: '.',
      env: { port: 1, authToken: 'x'.repeat(32), logLevel: 'info', drain: { timeoutSeconds: 600, delaySeconds: 0 } },
      vars: {},
      providers: resolveProviders(cfg, {}),
      routes: buildRoutes(cfg),
      server: cfg.server,
      warnings: [],
    },
    new PoolSet(),
  );
}

const rt = runtime();
const target = (route: string) => rt.routes.get(route)![0]!;
const body = (model: string, extra: object = {}) => ({ model, input: 'hi', stream: true, ...extra });
const plan = (route: string, b: Record<string, unknown>, query = '', headers = {}) =>
  planRequest('responses', target(route), b, Buffer.from(JSON.stringify(b)), headers, 4096, query)!;

describe('planning /v1/responses', () => {
  it('passes through to OpenAI, and knows the chat fallback for a 404 while responses_api is auto', () => {
    const p = plan('gpt', body('gpt'));
    assert.equal(p.path, '/v1/responses');
    assert.equal(p.translateJson, null);
    const fallback = p.ifUnsupported!();
    assert.equal(fallback.path, '/v1/chat/completions');
    assert.equal(JSON.parse(String(fallback.body)).messages[0].content, 'hi');
    assert.equal(plan('big', body('big')).ifUnsupported, undefined, 'responses_api: true never translates');
  });

  it('translates for Anthropic and for a chat-only provider, configured or detected', () => {
    assert.equal(plan('claude', body('claude')).path, '/v1/messages');
    assert.equal(plan('qwen', body('qwen')).path, '/v1/chat/completions');
    const oa = rt.providers.get('oa')!;
    oa.state.responsesUnsupported = true;
    try {
      const p = plan('gpt', body('gpt'));
      assert.equal(p.path, '/v1/chat/completions');
      assert.equal(p.ifUnsupported, undefined);
    } finally {
      oa.state.responsesUnsupported = false;
    }
  });

  it('names the tools it left out in a response header', () => {
    const b = body('claude', { tools: [{ type: 'web_search' }, { type: 'function', name: 'f', parameters: {} }] });
    assert.deepEqual(plan('claude', b).responseHeaders, { [DROPPED_TOOLS_HEADER]: 'web_search' });
    assert.equal(plan('claude', body('claude')).responseHeaders, undefined);
  });

  it('throws TranslateError for what a translated target cannot serve, and passes it to OpenAI', () => {
    const b = body('claude', { previous_response_id: 'resp_1' });
    assert.throws(() => plan('claude', b), TranslateError);
    assert.equal(plan('gpt', { ...b, model: 'gpt' }).path, '/v1/responses');
  });
});

describe('planning count_tokens and the beta query', () => {
  it('passes ?beta=true and anthropic-beta to Anthropic, nothing else of the query', () => {
    const b = { model: 'claude', messages: [] };
    const p = planRequest(
      'count_tokens',
      target('claude'),
      b,
      Buffer.from('{}'),
      { 'anthropic-beta': 'x-1' },
      1,
      'beta=true&x=1',
    )!;
    assert.equal(p.path, '/v1/messages/count_tokens?beta=true');
    assert.equal(p.headers['anthropic-beta'], 'x-1');
    const m = planRequest('messages', target('claude'), b, Buffer.from('{}'), {}, 1, 'x=1')!;
    assert.equal(m.path, '/v1/messages');
  });
});
