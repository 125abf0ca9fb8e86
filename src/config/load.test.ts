import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildRoutes, loadConfig } from './load.ts';
import { parseProviderConfig } from './provider-config.ts';

const TOKEN = 't'.repeat(40);
const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'aip-proxy-load-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const yaml = `providers:
  - name: oa
    type: openai
    api_key: \${OPENAI_API_KEY}
    models: [gpt-4o]
    headers: { X-Team: "\${TEAM}" }
  - name: an
    type: anthropic
    api_key: \${ANTHROPIC_API_KEY}
    base_url: https://api.anthropic.com/
    models: [gpt-4o, claude]
  - name: e
    type: echo
routes:
  smart: [an/claude, oa/gpt-4o]
`;

describe('loadConfig', () => {
  it('expands ${VAR} from .env, with the environment winning', () => {
    const dir = folder({
      '.env': `AUTH_TOKEN=${TOKEN}\nOPENAI_API_KEY=from-file\nTEAM=blue\n`,
      'provider-config.yaml': yaml,
    });
    const c = loadConfig(dir, { OPENAI_API_KEY: 'from-env', ANTHROPIC_API_KEY: 'ak' });
    const oa = c.providers.find((p) => p.name === 'oa')!;
    assert.equal(oa.apiKey, 'from-env');
    assert.deepEqual(oa.headers, { 'X-Team': 'blue' });
    assert.equal(oa.baseUrl, 'https://api.openai.com/v1', 'default base URL');
    assert.equal(
      c.providers.find((p) => p.name === 'an')!.baseUrl,
      'https://api.anthropic.com',
      'trailing slash trimmed',
    );
    assert.equal(c.env.authToken, TOKEN);
    assert.deepEqual(c.warnings, []);
  });

  it('disables a provider whose key variable is unset, with a hint', () => {
    const dir = folder({ '.env': `AUTH_TOKEN=${TOKEN}\nTEAM=x\n`, 'provider-config.yaml': yaml });
    const c = loadConfig(dir, { ANTHROPIC_API_KEY: 'ak' });
    const oa = c.providers.find((p) => p.name === 'oa')!;
    assert.equal(oa.unusable, 'OPENAI_API_KEY not set (add OPENAI_API_KEY=... to .env)');
    assert.equal(c.providers.find((p) => p.name === 'e')!.unusable, undefined, 'echo needs no key');
    assert.deepEqual(c.warnings, [
      'provider "oa" is disabled: OPENAI_API_KEY not set (add OPENAI_API_KEY=... to .env)',
    ]);
  });

  it('works without a .env when the environment has everything', () => {
    const dir = folder({ 'provider-config.yaml': 'providers:\n  - name: e\n    type: echo\n' });
    assert.equal(loadConfig(dir, { AUTH_TOKEN: TOKEN, PORT: '9999' }).env.port, 9999);
  });

  it('prefixes .env errors with the file name', () => {
    const dir = folder({
      '.env': 'AUTH_TOKEN=short\n',
      'provider-config.yaml': 'providers:\n  - name: e\n    type: echo\n',
    });
    assert.throws(() => loadConfig(dir, {}), /^ConfigError: \.env: AUTH_TOKEN: too short/);
    const bad = folder({ '.env': 'oops\n', 'provider-config.yaml': '' });
    assert.throws(() => loadConfig(bad, {}), /^ConfigError: \.env:1: expected KEY=value/);
  });

  it('says where it looked when provider-config.yaml is missing', () => {
    const dir = folder({ '.env': `AUTH_TOKEN=${TOKEN}\n` });
    assert.throws(
      () => loadConfig(dir, {}),
      /provider-config\.yaml: not found \(the provider configuration; pass --config-dir DIR or set AI_PROXY_CONFIG_DIR\)/,
    );
  });
});

describe('buildRoutes', () => {
  it('keeps explicit routes and adds every model by name and as provider/model', () => {
    const routes = buildRoutes(parseProviderConfig(yaml));
    assert.deepEqual(routes.get('smart'), [
      { provider: 'an', model: 'claude' },
      { provider: 'oa', model: 'gpt-4o' },
    ]);
    assert.deepEqual(
      routes.get('gpt-4o'),
      [
        { provider: 'oa', model: 'gpt-4o' },
        { provider: 'an', model: 'gpt-4o' },
      ],
      'a model two providers list falls back in provider order',
    );
    assert.deepEqual(routes.get('an/gpt-4o'), [{ provider: 'an', model: 'gpt-4o' }]);
    assert.equal(routes.has('e/anything'), false);
  });

  it('lets an explicit route shadow a model of the same name', () => {
    const routes = buildRoutes(
      parseProviderConfig(
        'providers:\n  - {name: a, type: openai, models: [m]}\n  - {name: b, type: openai, models: [m]}\nroutes:\n  m: [b/m]\n',
      ),
    );
    assert.deepEqual(routes.get('m'), [{ provider: 'b', model: 'm' }]);
  });
});
