import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeConfig } from '../cli/config-check.ts';
import { loadConfig } from '../config/load.ts';
import { CONSOLE_VARIABLES, isSecret, TLS_VARIABLES } from './variables.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('PORT, LOG_LEVEL, the drain limits, the HTTPS and console settings are plain; the token, the console password hash and any other variable are secrets', () => {
  for (const name of ['PORT', 'LOG_LEVEL', 'DRAIN_TIMEOUT', 'DRAIN_DELAY', ...TLS_VARIABLES, ...CONSOLE_VARIABLES])
    assert.equal(isSecret(name), false, name);
  for (const name of ['AUTH_TOKEN', 'CONSOLE_PASSWORD_HASH', 'OPENAI_API_KEY', 'MY_OWN_KEY'])
    assert.equal(isSecret(name), true, name);
});

test('`ai-proxy config` redacts exactly the secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aip-contract-'));
  try {
    writeFileSync(
      join(dir, '.env'),
      `PORT=9000\nAUTH_TOKEN=${'t'.repeat(40)}\nHTTP_PORT=8080\nACME_DOMAIN=api.example.com\nMY_OWN_KEY=sk-1\n`,
    );
    writeFileSync(
      join(dir, 'provider-config.yaml'),
      'providers:\n  - name: echo\n    type: echo\n    models: [echo]\n',
    );
    const shown = describeConfig(loadConfig(dir, {})).variables as Record<string, { value: string | null }>;
    assert.equal(shown.PORT?.value, '9000');
    assert.equal(shown.ACME_DOMAIN?.value, 'api.example.com');
    assert.equal(shown.HTTP_PORT?.value, '8080');
    assert.match(shown.AUTH_TOKEN?.value ?? '', /^\[REDACTED 40 chars\]$/);
    assert.match(shown.MY_OWN_KEY?.value ?? '', /^\[REDACTED/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
