import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultContext, labelKeys, madeByInstaller } from './context.ts';

const ctx = defaultContext({});
const keys = labelKeys(ctx);

test('a container is ours by its labels, never by its name', () => {
  assert.equal(madeByInstaller({ [keys.repo]: 'ai-proxy', [keys.spec]: 'abc', [keys.version]: '1.0.0' }, ctx), true);
  // An operator's container that only shares the name has no labels of ours.
  assert.equal(madeByInstaller({}, ctx), false);
  assert.equal(madeByInstaller({ 'com.example.app': 'ai-proxy' }, ctx), false);
  // Started by hand from our image: it inherits the image's labels, not the container's spec label.
  assert.equal(madeByInstaller({ [keys.repo]: 'ai-proxy', [keys.version]: '1.0.0' }, ctx), false);
  // Another installation's repository (a test context) is not this one's.
  assert.equal(madeByInstaller({ [keys.repo]: 'aip-inst-x', [keys.spec]: 'abc' }, ctx), false);
});
