import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PASSWORD_HASH_FORMAT } from '../config/console-env.ts';
import { hashPassword, verifyPassword } from './password.ts';

describe('console password', () => {
  it('hashes with scrypt and a random salt, and verifies only the right password', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse battery'), hashPassword('correct horse battery')]);
    assert.match(a, PASSWORD_HASH_FORMAT);
    assert.match(a, /^\$scrypt\$ln=15,r=8,p=1\$/);
    assert.notEqual(a, b, 'salted');
    assert.equal(await verifyPassword('correct horse battery', a), true);
    assert.equal(await verifyPassword('correct horse batterY', a), false);
    assert.equal(await verifyPassword('', a), false);
  });

  it('refuses short passwords, and hashes it did not write or that would cost too much', async () => {
    await assert.rejects(hashPassword('short'), /too short/);
    assert.equal(await verifyPassword('x', 'plain-text'), false);
    const hash = await hashPassword('correct horse battery');
    assert.equal(await verifyPassword('correct horse battery', hash.replace('ln=15', 'ln=30')), false);
  });
});
