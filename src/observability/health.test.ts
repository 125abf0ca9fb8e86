import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inMemoryApp, requestInMemory, TEST_TOKEN } from '../http/in-memory.ts';

describe('/health on the public port (in memory: not a loopback client)', () => {
  const app = inMemoryApp(
    'providers:\n  - {name: echo, type: echo, models: [echo]}\n  - {name: openai, type: openai, api_key: "${OPENAI_API_KEY}", models: [gpt]}\n',
  );

  it('shows an anonymous visitor the status and version only', async () => {
    const r = await requestInMemory(app.handle, '/health');
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json() as object).sort(), ['status', 'version']);
    assert.doesNotMatch(r.body, /OPENAI_API_KEY|openai|echo|components/);
  });

  it('shows a client with the key everything: providers, missing variables, config', async () => {
    const headers = { authorization: `Bearer ${TEST_TOKEN}` };
    const r = await requestInMemory(app.handle, '/health', { headers });
    const body = r.json() as { status: string; components: { providers: Record<string, { reason?: string }> } };
    assert.equal(body.status, 'degraded');
    assert.match(body.components.providers.openai!.reason ?? '', /OPENAI_API_KEY not set/);
  });
});
