// The committed development config (npm start) and the release templates the installer copies:
// both must validate, and both must serve the echo model with no upstream key at all.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { loadConfig } from '../../src/config/load.ts';
import { parseEnv } from '../../src/config/env.ts';
import { ProxyServer } from '../../src/http/server.ts';
import { Logger } from '../../src/observability/logger.ts';

const ROOT = join(import.meta.dirname, '..', '..');

async function serve(dir: string, env: Record<string, string> = {}) {
  const config = loadConfig(dir, env);
  const proxy = new ProxyServer(config, { logger: new Logger('silent') });
  const addr = await proxy.listen(0, '127.0.0.1');
  return { proxy, url: `http://127.0.0.1:${addr.port}`, config };
}

describe('development config (npm start)', () => {
  it('serves echo to both SDKs with the committed dev token', async () => {
    const { proxy, url, config } = await serve(join(ROOT, 'config'));
    try {
      assert.equal(config.env.port, 8080);
      assert.match(readFileSync(join(ROOT, 'config', '.env'), 'utf8'), /DEVELOPMENT ONLY/);
      const openai = new OpenAI({ apiKey: config.env.authToken, baseURL: `${url}/v1`, maxRetries: 0 });
      const r = await openai.chat.completions.create({
        model: 'echo',
        messages: [{ role: 'user', content: 'ping me' }],
      });
      assert.equal(r.choices[0]!.message.content, 'ping me');
      let text = '';
      for await (const c of await openai.chat.completions.create({
        model: 'echo',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'a b c' }],
      })) {
        text += c.choices[0]?.delta.content ?? '';
      }
      assert.equal(text, 'a b c');
      const anthropic = new Anthropic({ apiKey: config.env.authToken, baseURL: url, maxRetries: 0 });
      const m = await anthropic.messages.create({
        model: 'echo',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.deepEqual(m.content, [{ type: 'text', text: 'hi' }]);
      const streamed = await anthropic.messages
        .stream({ model: 'echo', max_tokens: 10, messages: [{ role: 'user', content: 'x y' }] })
        .finalText();
      assert.equal(streamed, 'x y');
    } finally {
      await proxy.shutdown(100);
    }
  });
});

describe('release templates', () => {
  it('validate, and are ready with only PORT and a generated AUTH_TOKEN set (no upstream key)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aip-proxy-tpl-'));
    try {
      cpSync(join(ROOT, 'release-template', 'provider-config.yaml'), join(dir, 'provider-config.yaml'));
      const example = readFileSync(join(ROOT, 'release-template', '.env.example'), 'utf8');
      const vars = parseEnv(example);
      assert.deepEqual(Object.keys(vars).sort(), ['AUTH_TOKEN', 'LOG_LEVEL', 'PORT']);
      // What the installer does: fill in the token.
      writeFileSync(join(dir, '.env'), example.replace(/^AUTH_TOKEN=$/m, `AUTH_TOKEN=${'f'.repeat(64)}`));
      const { proxy, url, config } = await serve(dir);
      try {
        assert.deepEqual(config.warnings, []);
        assert.equal((await fetch(`${url}/health/ready`)).status, 200);
        const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
        assert.equal(health.status, 'ok');
      } finally {
        await proxy.shutdown(100);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has commented examples that validate once uncommented', () => {
    const text = readFileSync(join(ROOT, 'release-template', 'provider-config.yaml'), 'utf8');
    // Uncomment the provider and route examples (lines "  # - name", "  #   key", "  # smart:").
    const uncommented = text
      .split('\n')
      .map((l) => (/^  # ( *- |  |[a-z]+:)/.test(l) && !/^  # [A-Z]/.test(l) ? l.replace(/^  # /, '  ') : l))
      .join('\n')
      .replace('routes: {}', 'routes:');
    const dir = mkdtempSync(join(tmpdir(), 'aip-proxy-tpl-'));
    try {
      writeFileSync(join(dir, 'provider-config.yaml'), uncommented);
      const c = loadConfig(dir, {
        AUTH_TOKEN: 'f'.repeat(64),
        OPENAI_API_KEY: 'k',
        ANTHROPIC_API_KEY: 'k',
        AZURE_OPENAI_API_KEY: 'k',
      });
      assert.deepEqual(
        c.providers.map((p) => p.type),
        ['echo', 'openai', 'anthropic', 'openai-compatible', 'azure-openai'],
      );
      assert.deepEqual(c.routes.get('smart'), [
        { provider: 'openai', model: 'gpt-4o' },
        { provider: 'anthropic', model: 'claude-sonnet-4-5' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
