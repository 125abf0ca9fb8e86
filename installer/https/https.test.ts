import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCaBundle, checkCertificatePair, TlsInvalid } from './operator-certificate.ts';
import { applyTlsEnv, installedTls } from './https-env.ts';
import { covers } from '../../src/contract/names.ts';
import { getEnvValue, removeEnvValue } from '../config-files/env-editor.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-tlsi-unit-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/** A self-signed EC certificate; `days` negative makes one that already expired. */
function makeCert(
  name: string,
  days: number,
  san = 'DNS:api.test,DNS:*.api.test,IP:127.0.0.1',
): { cert: string; key: string } {
  const key = path(`${name}.key`);
  const cert = path(`${name}.crt`);
  const ext = path(`${name}.ext`);
  writeFileSync(ext, `subjectAltName=${san}\n`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  openssl(['req', '-new', '-key', key, '-subj', '/CN=api.test', '-out', path(`${name}.csr`)]);
  openssl([
    'x509',
    '-req',
    '-in',
    path(`${name}.csr`),
    '-signkey',
    key,
    '-days',
    String(days),
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  return { cert, key };
}

const good = makeCert('good', 30);
const other = makeCert('other', 30);
const expired = makeCert('expired', -1);

const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TlsInvalid, `expected TlsInvalid, got ${(error as Error).message}`);
    return error.message;
  }
  assert.fail('expected a refusal');
};

test('a good pair: names from subjectAltName, expiry, the bytes to install', () => {
  const pair = checkCertificatePair(good.cert, good.key);
  assert.deepEqual(pair.names, ['api.test', '*.api.test', '127.0.0.1']);
  const days = (pair.notAfter.getTime() - Date.now()) / 86_400_000;
  assert.ok(days > 29 && days <= 30, `not_after ${pair.notAfter.toISOString()}`);
  assert.ok(pair.cert.toString().includes('BEGIN CERTIFICATE'));
  assert.ok(pair.key.toString().includes('PRIVATE KEY'));
});

test('a key of another certificate is refused as not matching', () => {
  assert.match(
    reason(() => checkCertificatePair(good.cert, other.key)),
    /is not the private key of the certificate .*does not match/,
  );
});

test('an expired certificate is refused with its expiry', () => {
  assert.match(
    reason(() => checkCertificatePair(expired.cert, expired.key)),
    /expired on 20\d\d-/,
  );
});

test('validity window: not yet valid, and expired at a later clock', () => {
  const pair = checkCertificatePair(good.cert, good.key);
  const before = new Date(pair.notBefore.getTime() - 60_000);
  assert.match(
    reason(() => checkCertificatePair(good.cert, good.key, before)),
    /is not valid before/,
  );
  const after = new Date(pair.notAfter.getTime() + 1000);
  assert.match(
    reason(() => checkCertificatePair(good.cert, good.key, after)),
    /expired on/,
  );
});

test('not PEM, unreadable, a key that is not a key', () => {
  writeFileSync(path('junk.pem'), 'hello\n');
  assert.match(
    reason(() => checkCertificatePair(path('junk.pem'), good.key)),
    /is not a PEM certificate/,
  );
  assert.match(
    reason(() => checkCertificatePair(good.cert, path('junk.pem'))),
    /is not a PEM private key/,
  );
  assert.match(
    reason(() => checkCertificatePair(path('missing.pem'), good.key)),
    /cannot read the certificate .*no such file/,
  );
  writeFileSync(path('broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  assert.match(
    reason(() => checkCertificatePair(path('broken.pem'), good.key)),
    /does not parse/,
  );
  assert.match(
    reason(() => checkCaBundle(path('junk.pem'))),
    /is not a PEM certificate/,
  );
  assert.ok(checkCaBundle(good.cert).length > 0);
});

test('covers: exact names and one wildcard label, case-insensitive', () => {
  assert.equal(covers(['api.test', '*.api.test'], 'API.test'), true);
  assert.equal(covers(['*.api.test'], 'x.api.test'), true);
  assert.equal(covers(['*.api.test'], 'y.x.api.test'), false);
  assert.equal(covers(['api.test'], 'other.test'), false);
});

test('.env: each mode writes exactly its variables and the container port, the rest of the file kept', () => {
  const base = '# mine\nAUTH_TOKEN=abc\nPORT=443\n';
  const file = applyTlsEnv(base, { mode: 'file' }, 443);
  assert.equal(getEnvValue(file, 'TLS_CERT_FILE'), '/app/config/tls/cert.pem');
  assert.equal(getEnvValue(file, 'TLS_KEY_FILE'), '/app/config/tls/key.pem');
  assert.equal(getEnvValue(file, 'PORT'), '8443');
  assert.equal(getEnvValue(file, 'HTTP_PORT'), undefined);
  assert.ok(file.startsWith('# mine\nAUTH_TOKEN=abc\n'));

  const acme = applyTlsEnv(
    file,
    {
      mode: 'acme',
      domains: ['a.test', 'b.test'],
      email: 'o@a.test',
      directoryUrl: 'https://10.0.0.1:14000/dir',
      ca: true,
      publicHttpsPort: 8443,
    },
    8443,
  );
  assert.equal(getEnvValue(acme, 'TLS_CERT_FILE'), undefined);
  assert.equal(getEnvValue(acme, 'ACME_DOMAIN'), 'a.test,b.test');
  assert.equal(getEnvValue(acme, 'ACME_CA_FILE'), '/app/config/tls/acme-ca.pem');
  assert.equal(getEnvValue(acme, 'HTTP_PORT'), '8080');
  assert.equal(getEnvValue(acme, 'PUBLIC_HTTPS_PORT'), '8443');
  assert.deepEqual(installedTls(acme), {
    mode: 'acme',
    domains: ['a.test', 'b.test'],
    email: 'o@a.test',
    directoryUrl: 'https://10.0.0.1:14000/dir',
    ca: true,
    publicHttpsPort: 8443,
  });

  const plain = applyTlsEnv(acme, { mode: 'off' }, 9090);
  assert.equal(plain, '# mine\nAUTH_TOKEN=abc\nPORT=9090\n');
  assert.deepEqual(installedTls(plain), { mode: 'off' });
  assert.equal(removeEnvValue('A=1\nexport B=2\nC=3\n', 'B'), 'A=1\nC=3\n');
});

// Flags (args.ts) and the container document (hardening.ts) with TLS.
import { parseOptions } from '../command/args.ts';
import { containerSpec, holderSpec } from '../engine/container-spec.ts';
import { InstallError } from '../command/errors.ts';

const usage = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
  try {
    parseOptions(argv, env);
  } catch (error) {
    assert.ok(error instanceof InstallError);
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail(`accepted ${argv.join(' ')}`);
};

test('TLS flags: the two modes, env equivalents, and every bad combination refused with exit 2', () => {
  assert.deepEqual(parseOptions(['--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {}).tls, {
    cert: 'c.pem',
    key: 'k.pem',
    off: false,
  });
  assert.deepEqual(
    parseOptions([], {
      AI_PROXY_DOMAIN: 'API.test, b.test',
      AI_PROXY_ACME_EMAIL: 'o@x.test',
      AI_PROXY_ACME_CA: '/ca.pem',
      AI_PROXY_ACME_DIRECTORY: 'https://10.0.0.1:14000/dir',
    }).tls,
    {
      domains: ['api.test', 'b.test'],
      acmeEmail: 'o@x.test',
      acmeDirectory: 'https://10.0.0.1:14000/dir',
      acmeCa: '/ca.pem',
      off: false,
    },
  );
  assert.deepEqual(parseOptions(['--no-tls'], {}).tls, { off: true });
  assert.equal(parseOptions([], {}).tls, undefined);
  assert.match(usage(['--tls-cert', 'c.pem']), /--tls-cert needs --tls-key/);
  assert.match(usage(['--tls-key', 'k.pem']), /--tls-key needs --tls-cert/);
  assert.match(usage(['--tls-cert', 'c', '--tls-key', 'k', '--domain', 'a.test']), /choose one/);
  assert.match(usage(['--acme-email', 'o@x.test']), /only applies with --domain/);
  assert.match(usage(['--domain', '*.a.test']), /is not a DNS name/);
  assert.match(usage(['--domain', 'a.test', '--acme-email', 'nobody']), /invalid e-mail/);
  assert.match(usage(['--domain', 'a.test', '--acme-directory', 'ftp://x']), /invalid ACME directory/);
  assert.match(usage(['--no-tls', '--domain', 'a.test']), /cannot be combined/);
  assert.match(usage(['--uninstall', '--domain', 'a.test']), /cannot be combined with --uninstall/);
});

test('container documents: HTTPS port mapping and port 80 on the holder, the rw /app/acme mount only with ACME', () => {
  const base = {
    name: 'n',
    image: 'i',
    bind: '0.0.0.0',
    configDir: '/srv/ai-proxy',
    dataDir: '/srv/ai-proxy/data',
    labels: {},
  };
  const joined = { holderId: 'h', instance: 'x' };
  const plain = holderSpec({ ...base, port: 8080 });
  assert.deepEqual(plain.HostConfig?.PortBindings, { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] });
  assert.equal(containerSpec({ ...base, port: 8080 }, joined).HostConfig?.Mounts?.length, 2, 'config and data');

  const file = holderSpec({ ...base, port: 443, containerPort: 8443 });
  assert.deepEqual(file.HostConfig?.PortBindings, { '8443/tcp': [{ HostIp: '0.0.0.0', HostPort: '443' }] });
  assert.deepEqual(file.ExposedPorts, { '8443/tcp': {} });
  assert.deepEqual(containerSpec({ ...base, port: 443, containerPort: 8443 }, joined).HostConfig?.Mounts, [
    { Type: 'bind', Source: '/srv/ai-proxy', Target: '/app/config', ReadOnly: true },
    { Type: 'bind', Source: '/srv/ai-proxy/data', Target: '/app/data', ReadOnly: false },
  ]);

  const acmeRun = { ...base, port: 443, containerPort: 8443, httpPort: { host: 80, container: 8080 } };
  assert.deepEqual(holderSpec(acmeRun).HostConfig?.PortBindings, {
    '8443/tcp': [{ HostIp: '0.0.0.0', HostPort: '443' }],
    '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '80' }],
  });
  const acme = containerSpec({ ...acmeRun, acmeDir: '/srv/ai-proxy/acme' }, joined);
  assert.equal(acme.HostConfig?.PortBindings, undefined, 'the proxy publishes nothing itself');
  assert.deepEqual(acme.HostConfig?.Mounts?.[2], {
    Type: 'bind',
    Source: '/srv/ai-proxy/acme',
    Target: '/app/acme',
    ReadOnly: false,
  });
  assert.deepEqual(acme.HostConfig?.CapDrop, ['ALL']);
  assert.equal(acme.HostConfig?.CapAdd, undefined);
  assert.equal(acme.HostConfig?.ReadonlyRootfs, true);
});
