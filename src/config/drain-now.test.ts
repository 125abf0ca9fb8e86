import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { drainSettingsNow } from './drain-now.ts';

describe('drainSettingsNow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aip-drain-now-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const started = { timeoutSeconds: 600, delaySeconds: 0 };
  const envFile = (text: string) => writeFileSync(join(dir, '.env'), text);

  it('takes the limit written to .env since the start', () => {
    envFile('AUTH_TOKEN=x\nDRAIN_TIMEOUT=30\nDRAIN_DELAY=2\n');
    assert.deepEqual(drainSettingsNow(dir, started, {}), { drain: { timeoutSeconds: 30, delaySeconds: 2 } });
  });

  it('lets the environment win over .env, as at the start', () => {
    envFile('DRAIN_TIMEOUT=30\n');
    assert.deepEqual(drainSettingsNow(dir, started, { DRAIN_TIMEOUT: '90' }).drain, {
      timeoutSeconds: 90,
      delaySeconds: 0,
    });
  });

  it('keeps the settings it started with when .env no longer validates, and says why', () => {
    envFile('DRAIN_TIMEOUT=ten\n');
    const now = drainSettingsNow(dir, started, {});
    assert.deepEqual(now.drain, started);
    assert.match(now.problem ?? '', /DRAIN_TIMEOUT: "ten"/);
  });

  it('reads secret files too, where Swarm puts the variables of .env', () => {
    rmSync(join(dir, '.env'));
    const secrets = mkdtempSync(join(tmpdir(), 'aip-drain-secrets-'));
    writeFileSync(join(secrets, 'DRAIN_TIMEOUT'), '45\n');
    try {
      assert.deepEqual(drainSettingsNow(dir, started, { AI_PROXY_SECRETS_DIR: secrets }).drain, {
        timeoutSeconds: 45,
        delaySeconds: 0,
      });
    } finally {
      rmSync(secrets, { recursive: true, force: true });
    }
  });
});
