import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layerVars, readSecretFiles } from './secrets.ts';
import { loadConfig, loadProviderFile } from './load.ts';
import { describeConfig } from '../cli/config-check.ts';

const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'aip-swarm-secrets-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const TOKEN_FILE = 'f'.repeat(40);
const TOKEN_SECRET = 's'.repeat(40);
const yaml = `providers:
  - name: oa
    type: openai
    api_key: \${OPENAI_API_KEY}
    models: [gpt-4o]
`;

describe('secret files', () => {
  it('reads files named like variables, drops one trailing newline, skips others', () => {
    const dir = folder({ AUTH_TOKEN: `${TOKEN_SECRET}\n`, 'not-a-var': 'x', '.hidden': 'x', KEY: 'two\n\n' });
    mkdirSync(join(dir, 'SUBDIR'));
    const read = readSecretFiles(dir);
    assert.deepEqual(read.vars, { AUTH_TOKEN: TOKEN_SECRET, KEY: 'two\n' });
    assert.deepEqual(read.warnings, []);
  });

  it('a missing folder means no secrets, without a warning', () => {
    assert.deepEqual(readSecretFiles('/nonexistent/aip-swarm'), {
      dir: '/nonexistent/aip-swarm',
      vars: {},
      warnings: [],
    });
  });

  it('layers .env < secret files < environment and records each source', () => {
    const layered = layerVars(
      { A: 'file', B: 'file', C: 'file' },
      { B: 'secret', C: 'secret' },
      { C: 'env', PATH: '/bin', PORT: '9' },
      ['PORT'],
    );
    assert.deepEqual({ A: layered.vars.A, B: layered.vars.B, C: layered.vars.C }, { A: 'file', B: 'secret', C: 'env' });
    assert.deepEqual(layered.sources, { A: 'env-file', B: 'secret', C: 'environment', PORT: 'environment' });
  });

  it('loadConfig takes AUTH_TOKEN and keys from AI_PROXY_SECRETS_DIR over .env, the environment over both', () => {
    const config = folder({
      '.env': `AUTH_TOKEN=${TOKEN_FILE}\nOPENAI_API_KEY=from-file\nLOG_LEVEL=warn\n`,
      'provider-config.yaml': yaml,
    });
    const secrets = folder({ AUTH_TOKEN: TOKEN_SECRET, OPENAI_API_KEY: 'from-secret' });
    const c = loadConfig(config, { AI_PROXY_SECRETS_DIR: secrets });
    assert.equal(c.env.authToken, TOKEN_SECRET);
    assert.equal(c.providers[0]?.apiKey, 'from-secret');
    const e = loadConfig(config, { AI_PROXY_SECRETS_DIR: secrets, OPENAI_API_KEY: 'from-env' });
    assert.equal(e.providers[0]?.apiKey, 'from-env');
    const shown = describeConfig(e).variables as Record<string, { source: string; value: string }>;
    assert.deepEqual(shown.AUTH_TOKEN, { source: 'secret', value: '[REDACTED 40 chars]' });
    assert.deepEqual(shown.OPENAI_API_KEY, { source: 'environment', value: '[REDACTED 8 chars]' });
    assert.deepEqual(shown.LOG_LEVEL, { source: 'env-file', value: 'warn' });
    assert.ok(!JSON.stringify(describeConfig(e)).includes(TOKEN_SECRET));
  });

  it('works with no .env at all (Swarm: the token is a secret, the port service env)', () => {
    const config = folder({ 'provider-config.yaml': yaml });
    const secrets = folder({ AUTH_TOKEN: TOKEN_SECRET });
    const c = loadConfig(config, { AI_PROXY_SECRETS_DIR: secrets, PORT: '8181' });
    assert.equal(c.env.port, 8181);
    assert.equal(c.env.authToken, TOKEN_SECRET);
    assert.match(c.providers[0]?.unusable ?? '', /OPENAI_API_KEY/);
  });

  it('a reload sees a secret file replaced since the start', () => {
    const config = folder({ 'provider-config.yaml': yaml });
    const secrets = folder({ AUTH_TOKEN: TOKEN_SECRET, OPENAI_API_KEY: 'old' });
    const env = { AI_PROXY_SECRETS_DIR: secrets };
    const c = loadConfig(config, env);
    assert.equal(c.providers[0]?.apiKey, 'old');
    writeFileSync(join(secrets, 'OPENAI_API_KEY'), 'new\n');
    assert.equal(loadProviderFile(config, c.vars, env).providers[0]?.apiKey, 'new');
    assert.equal(loadProviderFile(config, c.vars, { ...env, OPENAI_API_KEY: 'pinned' }).providers[0]?.apiKey, 'old');
  });
});
