import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateNames, covers, isDnsName } from './names.ts';

test('DNS names: lower-case labels of 1-63 characters, no wildcard, no leading or trailing hyphen', () => {
  for (const name of ['api.example.com', 'a', 'x-1.y', `${'a'.repeat(63)}.com`])
    assert.equal(isDnsName(name), true, name);
  for (const name of ['*.example.com', 'API.example.com', '-a.com', 'a-.com', 'a..com', `${'a'.repeat(64)}.com`, ''])
    assert.equal(isDnsName(name), false, name);
});

test('certificate names: subjectAltName DNS and IP entries lower-cased, else the CN', () => {
  assert.deepEqual(
    certificateNames({ subjectAltName: 'DNS:API.test, DNS:*.api.test, IP Address:127.0.0.1', subject: 'CN=x' }),
    ['api.test', '*.api.test', '127.0.0.1'],
  );
  assert.deepEqual(certificateNames({ subjectAltName: undefined, subject: 'O=Org\nCN=Only.Test' }), ['only.test']);
  assert.deepEqual(certificateNames({ subject: 'O=Org' }), []);
});

test('a wildcard covers exactly one label', () => {
  assert.equal(covers(['*.api.test'], 'x.api.test'), true);
  assert.equal(covers(['*.api.test'], 'api.test'), false);
  assert.equal(covers(['*.api.test'], 'y.x.api.test'), false);
});
