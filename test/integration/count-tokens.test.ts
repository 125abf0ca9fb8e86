// POST /v1/messages/count_tokens with the real Anthropic SDK (Claude Code calls it): passed
// through to an Anthropic provider, a documented estimate for any other, never a 404.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { estimateInputTokens } from '../../src/translate/count-tokens.ts';
import { startAnthropicMock } from '../mocks/anthropic.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { cellTest } from '../agents/matrix.ts';
import { anthropicProvider, ANTHROPIC_KEY, startProxy, TOKEN, type RunningProxy } from './harness.ts';

const params = {
  model: '',
  system: 'be brief',
  messages: [{ role: 'user' as const, content: 'How many tokens is this?' }],
  tools: [{ name: 'f', description: 'd', input_schema: { type: 'object' as const } }],
};

describe('count_tokens through the proxy', () => {
  let an: MockUpstream;
  let chat: MockUpstream;
  let px: RunningProxy;
  let client: Anthropic;

  before(async () => {
    an = await startAnthropicMock();
    chat = await startOpenAIMock({ chatOnly: true });
    px = await startProxy(`providers:
${anthropicProvider('an', an.url, '    models: [claude-x]\n')}  - name: chat
    type: openai-compatible
    base_url: ${chat.url}/v1
    models: [qwen3]
`);
    client = new Anthropic({ apiKey: TOKEN, baseURL: px.url, maxRetries: 0 });
  });
  after(async () => {
    await px.close();
    await an.close();
    await chat.close();
  });

  cellTest('anthropicSdk', 'anthropic', 'exact count (passed through)', async () => {
    const r = await client.messages.countTokens({ ...params, model: 'claude-x' });
    const sent = an.requests.at(-1)!;
    assert.equal(sent.path, '/v1/messages/count_tokens');
    assert.equal(sent.headers['x-api-key'], ANTHROPIC_KEY);
    assert.equal(r.input_tokens, JSON.stringify(sent.body.messages).length, "the upstream's own count");
    // Claude Code's client adds ?beta=true to its beta calls; this SDK version does not by itself.
    const beta = await client.beta.messages.countTokens(
      { ...params, model: 'claude-x', betas: ['context-management-2025-06-27'] },
      { query: { beta: 'true' } },
    );
    assert.ok(beta.input_tokens > 0);
    const betaSent = an.requests.at(-1)!;
    assert.equal(betaSent.query, 'beta=true');
    assert.match(String(betaSent.headers['anthropic-beta']), /context-management-2025-06-27/);
  });

  cellTest('anthropicSdk', 'chat', 'documented estimate', async () => {
    const before = chat.requests.length;
    const raw = await client.messages.countTokens({ ...params, model: 'qwen3' }).withResponse();
    assert.equal(raw.data.input_tokens, estimateInputTokens({ ...params, model: 'qwen3' }));
    assert.equal(raw.response.headers.get('x-ai-proxy-token-count'), 'estimate');
    assert.equal(chat.requests.length, before, 'nothing went upstream');
  });
});
