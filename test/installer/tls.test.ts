// HTTPS with the real installer, engine and release archive: a plain install moved to the
// operator's certificate (signed by a test CA) and back; an HTTPS request with only that CA
// trusted; an identical re-run is "unchanged"; a mismatched key and an expired certificate are
// refused with exit 11 and nothing changed (files byte for byte, same container).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { contextFor, type InstallContext } from '../../installer/context.ts';
import {
  docker,
  freePort,
  get,
  hostAccounts,
  inspect,
  install,
  RELEASE_ARCHIVE,
  skipReason,
  tokenOf,
} from './lib/harness.ts';

/** The proxy in an archive built before #9's proxy side cannot serve TLS: skip, saying so. */
function tlsSupportMissing(): string | undefined {
  const found = execFileSync(
    'sh',
    ['-c', 'tar -xzOf "$1" ai-proxy | grep -c -a TLS_CERT_FILE || true', 'sh', RELEASE_ARCHIVE],
    { encoding: 'utf8' },
  ).trim();
  const reason =
    found === '0'
      ? `${RELEASE_ARCHIVE} has no TLS support (built before the proxy's HTTPS side): rebuild it`
      : undefined;
  if (reason && process.env.REQUIRE_E2E === '1') throw new Error(`REQUIRE_E2E=1 but ${reason}`);
  return reason;
}

const reason = skipReason() ?? tlsSupportMissing();

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A test CA, a leaf for localhost/127.0.0.1 it signed, another key, and an expired leaf. */
function makePki(dir: string) {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=aip-tlsi test CA',
  ]);
  writeFileSync(
    join(dir, 'leaf.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  for (const [name, days] of [
    ['leaf', '2'],
    ['leaf2', '2'],
    ['expired', '-1'],
  ] as const) {
    openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', '/CN=localhost', '-out', `${name}.csr`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      days,
      '-extfile',
      'leaf.ext',
      '-out',
      `${name}.pem`,
    ]);
  }
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key']);
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'leaf.pem'),
    key: join(dir, 'leaf.key'),
    cert2: join(dir, 'leaf2.pem'),
    key2: join(dir, 'leaf2.key'),
    otherKey: join(dir, 'other.key'),
    expired: join(dir, 'expired.pem'),
    expiredKey: join(dir, 'expired.key'),
  };
}

/** GET over HTTPS trusting only `ca` (what a client with the CA installed does). */
function httpsGet(
  port: number,
  path: string,
  ca: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, ca, servername: 'localhost', headers, agent: false, timeout: 5000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            protocol: (res.socket as import('node:tls').TLSSocket).getProtocol() ?? '',
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Every file under the config folder with its bytes (the "nothing changed" check); of data/ (the
 * running proxy's own database, which it reads and writes all the time) only the names, and not
 * SQLite's journal, WAL and shared-memory files, which come and go with its journal mode.
 */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = join(rel, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.startsWith('data/') && /-(journal|wal|shm)$/.test(path)) continue;
      else files.set(path, path.startsWith('data/') ? '' : readFileSync(join(dir, path)).toString('base64'));
    }
  };
  walk('');
  return files;
}

describe('installer HTTPS with the operator certificate on the local engine', { skip: reason ?? false }, () => {
  let root: string;
  let name: string;
  let ctx: InstallContext;
  let pki: ReturnType<typeof makePki>;
  let plainPort: number;
  let httpsPort: number;
  const argv = (...extra: string[]) => ['--archive', RELEASE_ARCHIVE, '--yes', '--bind', '127.0.0.1', ...extra];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'aip-tlsi-'));
    name = `aip-tlsi-${randomBytes(4).toString('hex')}`;
    ctx = contextFor(name, {
      workDir: join(root, 'work'),
      configDir: join(root, 'srv'),
      logFile: join(root, 'installer.log'),
      lockFile: join(root, 'installer.lock'),
      hostRoot: hostAccounts(join(root, 'host')),
    });
    pki = makePki(mkdtempSync(join(tmpdir(), 'aip-tlsi-pki-')));
    plainPort = await freePort();
    httpsPort = await freePort();
    while (httpsPort === plainPort) httpsPort = await freePort();
  });
  after(() => {
    const draining = docker(['ps', '-aq', '--filter', `name=^${name}-draining-`], true)
      .split('\n')
      .filter(Boolean);
    for (const container of [
      name,
      `${name}-previous`,
      `${name}-next`,
      ...draining,
      `${name}-holder`,
      `${name}-holder-previous`,
    ])
      docker(['rm', '-f', container], true);
    const images = docker(['images', '--filter', `label=io.ai-proxy.repo=${name}`, '-q'], true)
      .split('\n')
      .filter(Boolean);
    if (images.length) docker(['rmi', '-f', ...new Set(images)], true);
    rmSync(root, { recursive: true, force: true });
    rmSync(join(pki.ca, '..'), { recursive: true, force: true });
  });

  test('plain install first', async () => {
    const result = await install(ctx, argv('--port', String(plainPort)));
    assert.equal(result.code, 0, `${result.error?.message} ${result.stderr}`);
    assert.equal((await get(plainPort, '/ping')).status, 200);
  });

  test('--dry-run --json shows the TLS plan (mode, names, not_after, ports) and changes nothing', async () => {
    const before = snapshot(ctx.paths.configDir);
    const result = await install(
      ctx,
      argv('--port', String(httpsPort), '--tls-cert', pki.cert, '--tls-key', pki.key, '--dry-run', '--json'),
    );
    assert.equal(result.code, 0, `${result.error?.message} ${result.stderr}`);
    const summary = JSON.parse(result.stdout.trim());
    assert.equal(summary.dryRun, true);
    assert.equal(summary.tls.mode, 'file');
    assert.deepEqual(summary.tls.names, ['localhost', '127.0.0.1']);
    assert.ok(Date.parse(summary.tls.not_after) > Date.now());
    assert.deepEqual(summary.tls.ports, { https: httpsPort });
    assert.match(result.stderr, /https {6}your certificate: localhost, 127\.0\.0\.1; valid until/);
    assert.deepEqual(snapshot(ctx.paths.configDir), before);
  });

  test('move to HTTPS with the operator certificate: the CA-trusted client gets through, plain HTTP is gone', async () => {
    const result = await install(ctx, argv('--port', String(httpsPort), '--tls-cert', pki.cert, '--tls-key', pki.key));
    assert.equal(result.code, 0, `${result.error?.message} ${result.stderr}`);
    assert.match(result.stdout, /URL {8}https:\/\/127\.0\.0\.1:\d+/);
    const info = inspect(name);
    const holder = inspect(`${name}-holder`);
    assert.deepEqual(Object.keys(holder.HostConfig.PortBindings), ['8443/tcp']);
    assert.equal(holder.HostConfig.PortBindings['8443/tcp'][0].HostPort, String(httpsPort));
    assert.equal(info.HostConfig.NetworkMode, `container:${holder.Id}`);
    assert.deepEqual(
      info.HostConfig.Mounts.map((m: { Target: string }) => m.Target),
      ['/app/config', '/app/data'],
      'no /app/acme mount without --domain',
    );
    const env = readFileSync(join(ctx.paths.configDir, '.env'), 'utf8');
    assert.match(env, /^TLS_CERT_FILE=\/app\/config\/tls\/cert\.pem$/m);
    assert.match(env, /^PORT=8443$/m);
    assert.deepEqual(readFileSync(join(ctx.paths.configDir, 'tls/cert.pem')), readFileSync(pki.cert));
    const keyStat = statSync(join(ctx.paths.configDir, 'tls/key.pem'));
    assert.equal(keyStat.mode & 0o777, 0o640);
    assert.equal(keyStat.gid, 1001);

    const ca = readFileSync(pki.ca);
    const ping = await httpsGet(httpsPort, '/ping', ca);
    assert.equal(ping.status, 200);
    assert.match(ping.protocol, /^TLSv1\.[23]$/);
    const models = await httpsGet(httpsPort, '/v1/models', ca, { authorization: `Bearer ${tokenOf(ctx)}` });
    assert.notEqual(models.status, 401, 'the token is accepted over HTTPS');
    await assert.rejects(get(plainPort, '/ping'), 'the old plain port is closed');
  });

  test('the same flags again: unchanged', async () => {
    const id = inspect(name).Id;
    const result = await install(
      ctx,
      argv('--port', String(httpsPort), '--tls-cert', pki.cert, '--tls-key', pki.key, '--json'),
    );
    assert.equal(result.code, 0, `${result.error?.message} ${result.stderr}`);
    assert.equal(JSON.parse(result.stdout.trim()).action, 'unchanged');
    assert.equal(inspect(name).Id, id);
  });

  for (const [what, cert, key, pattern] of [
    ['a key that does not match', () => pki.cert, () => pki.otherKey, /is not the private key of the certificate/],
    ['an expired certificate', () => pki.expired, () => pki.expiredKey, /expired on/],
  ] as const) {
    test(`${what} is refused with exit 11 and nothing changed`, async () => {
      const before = snapshot(ctx.paths.configDir);
      const id = inspect(name).Id;
      const result = await install(ctx, argv('--port', String(httpsPort), '--tls-cert', cert(), '--tls-key', key()));
      assert.equal(result.code, 11, `${result.error?.message}`);
      assert.match(result.error?.message ?? '', pattern);
      assert.deepEqual(snapshot(ctx.paths.configDir), before);
      assert.equal(inspect(name).Id, id);
      assert.equal((await httpsGet(httpsPort, '/ping', readFileSync(pki.ca))).status, 200);
    });
  }

  test('a failure after the files were written restores .env and the certificate files byte for byte', async () => {
    const files = ['.env', 'provider-config.yaml', 'tls/cert.pem', 'tls/key.pem'];
    const read = () => files.map((f) => readFileSync(join(ctx.paths.configDir, f)).toString('base64'));
    const before = read();
    const id = inspect(name).Id;
    const marker = join(root, 'fault-marker');
    writeFileSync(marker, '');
    const result = await install(
      { ...ctx, faultMarker: marker, env: { ...process.env, AI_PROXY_INSTALLER_FAULT: 'build' } },
      argv('--port', String(httpsPort), '--tls-cert', pki.cert2, '--tls-key', pki.key2, '--force'),
    );
    assert.equal(result.code, 12, `${result.error?.message}`);
    assert.deepEqual(read(), before);
    assert.equal(inspect(name).Id, id);
    assert.equal((await httpsGet(httpsPort, '/ping', readFileSync(pki.ca))).status, 200);
  });

  test('--domain needs host port 80: busy -> exit 9 naming it, before anything changes', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve()); // someone else holds it already: the refusal is the same
      holder.listen(80, '127.0.0.1', () => resolve());
    });
    try {
      const result = await install(ctx, argv('--port', String(httpsPort), '--domain', 'api.example.test', '--dry-run'));
      assert.equal(result.code, 9, `${result.error?.message}`);
      assert.match(result.error?.message ?? '', /port 80 .*--domain needs it for ACME HTTP-01/);
    } finally {
      holder.close();
    }
  });

  test('--no-tls goes back to plain HTTP; the TLS variables leave .env', async () => {
    const result = await install(ctx, argv('--port', String(plainPort), '--no-tls'));
    assert.equal(result.code, 0, `${result.error?.message} ${result.stderr}`);
    assert.equal((await get(plainPort, '/ping')).status, 200);
    const env = readFileSync(join(ctx.paths.configDir, '.env'), 'utf8');
    assert.doesNotMatch(env, /TLS_CERT_FILE|TLS_KEY_FILE/);
    assert.match(env, new RegExp(`^PORT=${plainPort}$`, 'm'));
    assert.deepEqual(Object.keys(inspect(`${name}-holder`).HostConfig.PortBindings), [`${plainPort}/tcp`]);
  });
});
