import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasOutsideInterface, sharedNetwork, watchNetwork } from './shared-network.ts';

const lo = {
  address: '127.0.0.1',
  netmask: '255.0.0.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal: true,
  cidr: '127.0.0.1/8',
} as const;
const eth0 = { ...lo, address: '172.18.0.3', internal: false, cidr: '172.18.0.3/16' } as const;

describe('shared network', () => {
  it('is on only with AI_PROXY_SHARED_NETWORK=1', () => {
    assert.equal(sharedNetwork({ AI_PROXY_SHARED_NETWORK: '1' }), true);
    assert.equal(sharedNetwork({ AI_PROXY_SHARED_NETWORK: 'yes' }), false);
    assert.equal(sharedNetwork({}), false);
  });

  it('tells a namespace left with loopback only from one with an outside interface', () => {
    assert.equal(hasOutsideInterface({ lo: [lo], eth0: [eth0] }), true);
    assert.equal(hasOutsideInterface({ lo: [lo] }), false);
  });

  it('reports a lost network after two checks in a row without an outside interface, once', async () => {
    const answers = [true, false, true, false, false, false, false];
    let lost = 0;
    watchNetwork(
      () => lost++,
      1,
      () => answers.shift() ?? false,
    );
    for (let i = 0; i < 200 && answers.length > 2; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(lost, 1);
    assert.equal(answers.length, 2, 'the watch stops after the first report');
  });
});
