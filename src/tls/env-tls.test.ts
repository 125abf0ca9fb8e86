// The HTTPS variables of .env (src/config/env.ts validateTlsEnv): each mistake is one line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEnv } from '../config/env.ts';

const base = { AUTH_TOKEN: 'x'.repeat(40), PORT: '8443' };

describe('TLS variables', () => {
  it('TLS is off by default', () => {
    assert.equal(validateEnv(base).tls, undefined);
  });

  it('reads the file mode with the default public port', () => {
    assert.deepEqual(
      validateEnv({ ...base, TLS_CERT_FILE: 'tls/cert.pem', TLS_KEY_FILE: 'tls/key.pem', HTTP_PORT: '8080' }).tls,
      {
        mode: 'file',
        certFile: 'tls/cert.pem',
        keyFile: 'tls/key.pem',
        httpPort: 8080,
        publicHttpsPort: 443,
      },
    );
  });

  it('reads the ACME mode with its defaults', () => {
    const tls = validateEnv({ ...base, ACME_DOMAIN: 'API.example.com, www.example.com', HTTP_PORT: '8080' }).tls;
    assert.deepEqual(tls, {
      mode: 'acme',
      domains: ['api.example.com', 'www.example.com'],
      email: undefined,
      directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
      caFile: undefined,
      stateDir: '/app/acme',
      httpPort: 8080,
      publicHttpsPort: 443,
    });
  });

  const refused: [Record<string, string>, RegExp][] = [
    [{ TLS_CERT_FILE: 'c.pem' }, /^TLS_KEY_FILE: missing/],
    [{ TLS_KEY_FILE: 'k.pem' }, /^TLS_CERT_FILE: missing/],
    [{ TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k', ACME_DOMAIN: 'a.example' }, /choose one/],
    [
      { ACME_DOMAIN: 'a.example' },
      /^HTTP_PORT: required with ACME_DOMAIN \(HTTP-01 challenges are answered on it; publish host port 80 to it\)$/,
    ],
    [{ ACME_DOMAIN: '*.example.com', HTTP_PORT: '8080' }, /wildcards need DNS-01/],
    [{ ACME_DOMAIN: 'bad_name', HTTP_PORT: '8080' }, /is not a DNS name/],
    [{ TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k', HTTP_PORT: '8443' }, /HTTP_PORT: must differ from PORT/],
    [{ TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k', HTTP_PORT: '80a' }, /HTTP_PORT: "80a" is not a port/],
    [{ ACME_DOMAIN: 'a.example', HTTP_PORT: '8080', ACME_EMAIL: 'nope' }, /ACME_EMAIL/],
    [{ ACME_DOMAIN: 'a.example', HTTP_PORT: '8080', ACME_DIRECTORY_URL: 'ftp://x' }, /ACME_DIRECTORY_URL/],
    [{ HTTP_PORT: '8080' }, /HTTP_PORT: set without TLS/],
  ];
  for (const [vars, message] of refused) {
    it(`refuses ${JSON.stringify(vars)}`, () =>
      assert.throws(
        () => validateEnv({ ...base, ...vars }),
        (e: Error) => message.test(e.message),
      ));
  }
});
