import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProviderConfig } from '../config/provider-config.ts';
import { buildRoutes, resolveProviders } from '../config/load.ts';
import { PoolSet } from '../upstream/pools.ts';
import { planRequest } from './plan.ts';
import { compileRuntime, type Runtime } from './runtime.ts';

const yaml = `providers:
  - {name: oa, type: openai, api_key: k1, models: [gpt]}
  - {name: az, type: azure-openai, base_url: "https://r.openai.azure.com", api_key: k2, models: [dep1]}
  - {name: az1, type: azure-openai, base_url: "https://r.openai.azure.com/openai/v1", api_key: k2, models: [dep2]}
  - {name: an, type: anthropic, api_key: k3, base_url: "https://api.anthropic.com/v1", models: [claude]}
  - {name: local, type: openai-compatible, base_url: "http://10.0.0.1:8000/v1", stream_usage: false, models: [llama]}
routes:
  alias: [oa/gpt]
`;

function runtime(): { rt: Runtime; pools: PoolSet } {
  const cfg = parseProviderConfig(yaml);
  const providers = resolveProviders(cfg, {});
  const pools = new PoolSet();
  const rt = compileRuntime(
    {
      dir: '.',
      env: { port: 1, authToken: 'x'.repeat(32), logLevel: 'info' },
      vars: {},
      providers,
      routes: buildRoutes(cfg),
      server: cfg.server,
      warnings: [],
    },
    pools,
  );
  return { rt, pools };
}

const target = (rt: Runtime, route: string) => rt.routes.get(route)![0]!;
const raw = (o: object) => Buffer.from(JSON.stringify(o));

describe('planRequest', () => {
  const { rt, pools } = runtime();
  it('forwards the very same bytes when no change is needed', () => {
    const body = { model: 'gpt', messages: [] };
    const buf = raw(body);
    const plan = planRequest('chat', target(rt, 'gpt'), body, buf, {}, 4096)!;
    assert.equal(plan.body, buf);
    assert.equal(plan.path, '/v1/chat/completions');
    assert.equal(plan.headers.authorization, 'Bearer k1');
    assert.equal(plan.translateJson, null);
  });

  it('rewrites the model of an alias and asks for stream usage', () => {
    const body = { model: 'alias', stream: true, messages: [] };
    const plan = planRequest('chat', target(rt, 'alias'), body, raw(body), {}, 4096)!;
    assert.deepEqual(JSON.parse(String(plan.body)), {
      model: 'gpt',
      stream: true,
      messages: [],
      stream_options: { include_usage: true },
    });
  });

  it('does not inject stream usage where the provider opted out', () => {
    const body = { model: 'llama', stream: true, messages: [] };
    const buf = raw(body);
    assert.equal(planRequest('chat', target(rt, 'llama'), body, buf, {}, 4096)!.body, buf);
  });

  it('builds Azure deployment and v1 paths with the api-key header', () => {
    const p1 = planRequest('chat', target(rt, 'dep1'), { model: 'dep1' }, raw({}), {}, 1)!;
    assert.equal(p1.path, '/openai/deployments/dep1/chat/completions?api-version=2024-10-21');
    assert.equal(p1.headers['api-key'], 'k2');
    assert.equal(p1.headers.authorization, undefined);
    assert.equal(
      planRequest('embeddings', target(rt, 'dep2'), { model: 'dep2' }, raw({}), {}, 1)!.path,
      '/openai/v1/embeddings',
    );
  });

  it('translates chat to an Anthropic provider and messages to an OpenAI one', () => {
    const chat = planRequest(
      'chat',
      target(rt, 'claude'),
      { model: 'claude', messages: [{ role: 'user', content: 'x' }] },
      raw({}),
      {},
      321,
    )!;
    assert.equal(chat.path, '/v1/messages', 'a /v1 suffix in base_url is not doubled');
    assert.equal(JSON.parse(String(chat.body)).max_tokens, 321);
    assert.equal(chat.headers['x-api-key'], 'k3');
    assert.ok(chat.translateJson);
    const msgs = planRequest(
      'messages',
      target(rt, 'gpt'),
      { model: 'gpt', max_tokens: 5, messages: [] },
      raw({}),
      {},
      1,
    )!;
    assert.equal(msgs.path, '/v1/chat/completions');
    assert.equal(JSON.parse(String(msgs.body)).max_tokens, 5);
  });

  it('forwards anthropic-beta to Anthropic only', () => {
    const p = planRequest(
      'messages',
      target(rt, 'claude'),
      { model: 'claude' },
      raw({}),
      { 'anthropic-beta': 'b1', authorization: 'Bearer client' },
      1,
    )!;
    assert.equal(p.headers['anthropic-beta'], 'b1');
    assert.ok(!Object.values(p.headers).includes('Bearer client'), 'client credentials never go upstream');
  });

  it('refuses what the provider cannot do', () => {
    assert.equal(planRequest('embeddings', target(rt, 'claude'), { model: 'claude' }, raw({}), {}, 1), undefined);
    assert.equal(planRequest('responses', target(rt, 'claude'), { model: 'claude' }, raw({}), {}, 1), undefined);
  });

  it('shares one pool per origin', async () => {
    assert.equal(rt.providers.get('az')!.pool, rt.providers.get('az1')!.pool);
    assert.notEqual(rt.providers.get('oa')!.pool, rt.providers.get('an')!.pool);
    await pools.closeAll();
  });
});
