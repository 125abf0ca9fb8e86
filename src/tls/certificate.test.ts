import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeCa, makeLeaf, pastStamp } from '../../test/integration/tls-helpers.ts';
import { CertificateError, readKeyPair } from './certificate.ts';

describe('certificate and key validation', () => {
  const ca = makeCa();
  after(() => rmSync(ca.dir, { recursive: true, force: true }));

  it('accepts a matching pair and reports names, window and fingerprint', () => {
    const leaf = makeLeaf(ca, 'good', { names: ['api.example.com', 'www.example.com', '10.0.0.1'] });
    const pair = readKeyPair(leaf.certFile, leaf.keyFile);
    assert.deepEqual(pair.names, ['api.example.com', 'www.example.com', '10.0.0.1']);
    assert.equal(pair.fingerprint, leaf.fingerprint);
    assert.ok(pair.notAfter.getTime() > Date.now());
    assert.match(pair.cert, /BEGIN CERTIFICATE[\s\S]+BEGIN CERTIFICATE/, 'the chain is kept whole');
  });

  it('refuses a key that belongs to another certificate', () => {
    const a = makeLeaf(ca, 'a');
    const b = makeLeaf(ca, 'b');
    assert.throws(
      () => readKeyPair(a.certFile, b.keyFile),
      (e: Error) => e instanceof CertificateError && /does not match the certificate/.test(e.message),
    );
  });

  it('refuses an expired certificate, naming the date', () => {
    const old = makeLeaf(ca, 'old', { start: pastStamp(30), end: pastStamp(2) });
    assert.throws(() => readKeyPair(old.certFile, old.keyFile), /expired on \d{4}-\d\d-\d\dT/);
  });

  it('refuses files that are not PEM, and missing files, with the path', () => {
    const good = makeLeaf(ca, 'c');
    const junk = join(ca.dir, 'junk.pem');
    writeFileSync(junk, 'hello\n');
    assert.throws(() => readKeyPair(junk, good.keyFile), new RegExp(`${junk}: no PEM certificate`));
    assert.throws(() => readKeyPair(good.certFile, junk), /not a valid PEM private key/);
    const broken = join(ca.dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    assert.throws(() => readKeyPair(broken, good.keyFile), /not a valid PEM certificate/);
    assert.throws(
      () => readKeyPair(join(ca.dir, 'nope.pem'), good.keyFile),
      /cannot read the certificate \(not found\)/,
    );
  });
});
