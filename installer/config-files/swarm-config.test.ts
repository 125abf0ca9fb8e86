import { test } from 'node:test';
import assert from 'node:assert/strict';
import { swarmConfig } from './swarm-config.ts';

test('the secrets are the contract secrets; plain settings travel as environment, PORT first and from the plan', () => {
  const env = `PUBLIC_HTTPS_PORT=8443\nPORT=8080\nAUTH_TOKEN=${'t'.repeat(40)}\nLOG_LEVEL=warn\nCUSTOM_KEY=k\n`;
  const config = swarmConfig(env, 'providers: []\n', 9090);
  assert.deepEqual(
    config.secrets.map((s) => s.variable),
    ['AUTH_TOKEN', 'CUSTOM_KEY'],
  );
  assert.deepEqual(Object.entries(config.env), [
    ['PORT', '9090'],
    ['PUBLIC_HTTPS_PORT', '8443'],
    ['LOG_LEVEL', 'warn'],
  ]);
});
