// HTTPS on a fresh Debian 12 VPS: `--domain` against pebble running inside the VPS,
// the real openai SDK from this host over HTTPS with pebble's root trusted, a renewal (short
// validity) picked up while a stream stays open; the operator's certificate; a mismatched key
// and an expired certificate refused with nothing changed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { parseDocument } from 'yaml';
import { scenario } from '../lib/scenario.ts';
import type { Session } from '../lib/session.ts';
import type { Vps } from '../lib/vps.ts';
import { CONFIG_DIR, authToken } from '../lib/installed.ts';
import { pebbleMissing, pointNameAtVps, startPebble, vpsAddress } from '../lib/pebble.ts';
import { REQUIRE_E2E } from '../lib/preconditions.ts';

const DOMAIN = 'api.vps.test';

function sdk(ip: string, root: string, token: string): { client: OpenAI; dispatcher: Agent } {
  const lookup = (_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
    o.all ? cb(null, [{ address: ip, family: 4 }]) : cb(null, ip, 4);
  const dispatcher = new Agent({ connect: { ca: root, lookup } as never });
  const client = new OpenAI({
    apiKey: token,
    baseURL: `https://${DOMAIN}/v1`,
    maxRetries: 0,
    fetch: undiciFetch as unknown as typeof fetch,
    fetchOptions: { dispatcher } as never,
  });
  return { client, dispatcher };
}

/** The certificate the VPS presents on 443 for DOMAIN, verified against `root`. */
function presented(ip: string, root: string): Promise<{ fingerprint: string; names: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port: 443, servername: DOMAIN, ca: root }, () => {
      const c = socket.getPeerCertificate();
      socket.end();
      resolve({ fingerprint: c.fingerprint256, names: c.subjectaltname ?? '' });
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

/** An OpenAI-format upstream on this host that streams a chunk every 500 ms until told to finish. */
async function slowUpstream(host: string): Promise<{ port: number; finish(): void; close(): Promise<void> }> {
  let done = false;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'slow', object: 'chat.completion.chunk', created: 1, model: 'slow', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      for (let i = 0; i < 360 && !done && !res.destroyed; i++) {
        res.write(chunk({ content: `c${i} ` }, null));
        await new Promise((r) => setTimeout(r, 500));
      }
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as { port: number }).port,
    finish: () => (done = true),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function addProvider(vps: Vps, name: string, baseUrl: string): Promise<void> {
  const path = `${CONFIG_DIR}/provider-config.yaml`;
  const doc = parseDocument(await vps.readFile(path));
  (doc.get('providers') as { add(item: unknown): void }).add(
    doc.createNode({ name, type: 'openai-compatible', base_url: baseUrl, api_key: 'slow-key', models: ['slow'] }),
  );
  await vps.execOk(`cat > ${path}`, { input: doc.toString() });
  await vps.execOk('docker restart ai-proxy >/dev/null');
  await vps.waitFor(
    `[ "$(docker inspect --format '{{.State.Health.Status}}' ai-proxy)" = healthy ]`,
    90_000,
    'ai-proxy did not become healthy after the restart',
  );
}

/**
 * The "nothing changed" check: sha256 of every file under /srv/ai-proxy, the names of those in
 * data/ (the running proxy's own database: its ledger writes go on) but not SQLite's journal,
 * WAL and shared-memory files, which come and go with its journal mode and checkpoints, and the
 * container id.
 */
async function fingerprintOfInstall(vps: Vps): Promise<string> {
  return (
    await vps.execOk(
      `cd ${CONFIG_DIR} && find . -type f -not -path './data/*' | sort | xargs sha256sum; find ./data -not -name '*-journal' -not -name '*-wal' -not -name '*-shm' | sort; docker inspect --format '{{.Id}}' ai-proxy`,
    )
  ).stdout;
}

async function domainInstall(s: Session): Promise<number> {
  await s.upload();
  const ip = await pointNameAtVps(s.vps, DOMAIN);
  const pebble = await startPebble(s.vps, 120);
  // no ACME server where the installer is told to look: no certificate -> exit 13, all rolled back
  const unreachable = pebble.directoryUrl.replace(':14000/', ':14999/');
  const failed = await s.installer([
    '--yes',
    '--domain',
    DOMAIN,
    '--acme-directory',
    unreachable,
    '--acme-ca',
    pebble.caPath,
    '--health-timeout',
    '15',
  ]);
  assert.equal(failed.code, 13, failed.output.slice(-2000));
  assert.match(failed.output, /no certificate for api\.vps\.test/);
  assert.match(failed.output, /ACME: .*14999/, 'the last ACME error is printed while waiting');
  assert.equal(
    (await s.vps.exec(`test -e ${CONFIG_DIR} || docker inspect ai-proxy >/dev/null 2>&1`)).code,
    1,
    'the failed first install left neither /srv/ai-proxy nor a container',
  );
  const r = await s.installer([
    '--yes',
    '--domain',
    DOMAIN,
    '--acme-email',
    'ops@vps.test',
    '--acme-directory',
    pebble.directoryUrl,
    '--acme-ca',
    pebble.caPath,
    '--health-timeout',
    '120',
  ]);
  const notes = [
    `no ACME server: exit 13 after ${(failed.ms / 1000).toFixed(0)} s, rolled back`,
    `install ${(r.ms / 1000).toFixed(1)} s`,
  ];
  assert.equal(r.code, 0, `install with --domain failed:\n${r.output.slice(-2000)}\n${await pebble.log()}`);
  assert.match(r.output, new RegExp(`certificate for ${DOMAIN.replace(/\./g, '\\.')}`));

  const info = await s.vps.inspect('ai-proxy');
  const holder = await s.vps.inspect('ai-proxy-holder');
  const published = (holder as unknown as { HostConfig: { PortBindings: Record<string, Array<{ HostPort: string }>> } })
    .HostConfig.PortBindings;
  const bindings = (
    info as unknown as {
      HostConfig: {
        Mounts: Array<{ Target: string; ReadOnly?: boolean }>;
        CapAdd: unknown;
      };
    }
  ).HostConfig;
  assert.deepEqual(Object.fromEntries(Object.entries(published).map(([k, v]) => [k, v[0]?.HostPort])), {
    '8443/tcp': '443',
    '8080/tcp': '80',
  });
  assert.deepEqual(
    bindings.Mounts.map((m) => [m.Target, Boolean(m.ReadOnly)]),
    [
      ['/app/config', true],
      ['/app/data', false],
      ['/app/acme', false],
    ],
  );
  assert.equal(bindings.CapAdd, null, 'no capability added back for ports 80/443');
  assert.equal((await s.vps.execOk(`stat -c '%a %u:%g' ${CONFIG_DIR}/acme`)).stdout.trim(), '2770 0:1001');
  assert.ok(
    await s.vps.fileExists(`${CONFIG_DIR}/acme/cert.pem`),
    'the proxy wrote its certificate into /srv/ai-proxy/acme',
  );
  const redirect = await s.vps.execOk(
    `curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' http://${DOMAIN}/v1/models`,
  );
  assert.equal(redirect.stdout.trim(), `308 https://${DOMAIN}/v1/models`);

  // the openai SDK from this host, trusting only pebble's root
  const root = await pebble.issuerRoot();
  const token = await authToken(s.vps);
  const { client, dispatcher } = sdk(ip, root, token);
  const nonce = `https-${Math.random().toString(36).slice(2)}`;
  const answer = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: nonce }] });
  assert.equal(answer.choices[0]?.message.content, nonce);
  await assert.rejects(sdk(ip, root, 'wrong-token-'.padEnd(43, 'x')).client.models.list(), /401/);

  // same flags again: nothing to do, and the certificate is the same one
  const first = await presented(ip, root);
  const again = await s.installer([
    '--yes',
    '--domain',
    DOMAIN,
    '--acme-email',
    'ops@vps.test',
    '--acme-directory',
    pebble.directoryUrl,
    '--acme-ca',
    pebble.caPath,
  ]);
  assert.equal(again.code, 0);
  assert.match(again.output, /Nothing to do/);

  // a renewal in the running proxy while a stream stays open
  const upstream = await slowUpstream((await vpsAddress(s.vps)).gateway);
  try {
    await addProvider(s.vps, 'slow-up', `http://${(await vpsAddress(s.vps)).gateway}:${upstream.port}/v1`);
    const before = await presented(ip, root);
    const stream = await client.chat.completions.create({
      model: 'slow-up/slow',
      stream: true,
      messages: [{ role: 'user', content: 'hold' }],
    });
    let chunks = 0;
    let finish: string | null | undefined;
    const reading = (async () => {
      for await (const part of stream) {
        if (part.choices[0]?.delta.content) chunks++;
        finish = part.choices[0]?.finish_reason ?? finish;
      }
    })();
    const started = Date.now();
    let after = before;
    while (after.fingerprint === before.fingerprint) {
      assert.ok(Date.now() - started < 150_000, 'no renewed certificate within 150 s');
      await new Promise((r) => setTimeout(r, 2000));
      after = await presented(ip, root);
    }
    const renewedAfter = (Date.now() - started) / 1000;
    const chunksAtRenewal = chunks;
    await new Promise((r) => setTimeout(r, 1500));
    upstream.finish();
    await reading;
    assert.equal(finish, 'stop', 'the stream ended normally');
    assert.ok(
      chunks > chunksAtRenewal && chunksAtRenewal > 0,
      `the stream went on across the renewal (${chunksAtRenewal} chunks before, ${chunks} in all)`,
    );
    assert.notEqual(first.fingerprint, after.fingerprint);
    assert.match(after.names, new RegExp(`DNS:${DOMAIN.replace(/\./g, '\\.')}`));
    notes.push(`renewal seen ${renewedAfter.toFixed(0)} s into a stream of ${chunks} chunks`);
  } finally {
    await upstream.close();
    await dispatcher.close();
  }
  // --uninstall keeps the ACME state (account and certificate: rate limits); --purge deletes it
  assert.equal((await s.installer(['--yes', '--uninstall'])).code, 0);
  assert.ok(await s.vps.fileExists(`${CONFIG_DIR}/acme/cert.pem`), '--uninstall keeps /srv/ai-proxy/acme');
  assert.equal((await s.installer(['--yes', '--uninstall', '--purge'])).code, 0);
  assert.equal(await s.vps.fileExists(CONFIG_DIR), false, '--purge deletes /srv/ai-proxy with its acme folder');
  s.note = notes.join('; ');
  return 0;
}

/** A test CA and leaves for DOMAIN (good, expired) plus an unrelated key, made on this host. */
function makePki(dir: string): void {
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl([
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
    '/CN=aip-tlsi VPS CA',
  ]);
  writeFileSync(join(dir, 'leaf.ext'), `subjectAltName=DNS:${DOMAIN}\n`);
  for (const [name, days] of [
    ['leaf', '2'],
    ['expired', '-1'],
  ] as const) {
    ssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
    ssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${DOMAIN}`, '-out', `${name}.csr`]);
    ssl([
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
  ssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key']);
}

async function operatorCertificate(s: Session): Promise<number> {
  const local = mkdtempSync(join(tmpdir(), 'aip-tlsi-vpspki-'));
  try {
    makePki(local);
    await s.upload();
    await s.vps.execOk('mkdir -p /root/certs');
    for (const file of ['leaf.pem', 'leaf.key', 'expired.pem', 'expired.key', 'other.key'])
      await s.vps.copyIn(join(local, file), `/root/certs/${file}`);
    const r = await s.installer(['--yes', '--tls-cert', '/root/certs/leaf.pem', '--tls-key', '/root/certs/leaf.key']);
    assert.equal(r.code, 0, r.output.slice(-2000));
    assert.match(r.output, new RegExp(`your certificate: ${DOMAIN.replace(/\./g, '\\.')}; valid until`));
    const ip = (await vpsAddress(s.vps)).ip;
    const { client, dispatcher } = sdk(ip, readFileSync(join(local, 'ca.pem'), 'utf8'), await authToken(s.vps));
    const answer = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'operator-cert' }],
    });
    assert.equal(answer.choices[0]?.message.content, 'operator-cert');
    await dispatcher.close();

    const before = await fingerprintOfInstall(s.vps);
    for (const [cert, key, reason] of [
      ['leaf.pem', 'other.key', /is not the private key of the certificate/],
      ['expired.pem', 'expired.key', /expired on/],
    ] as const) {
      const refused = await s.installer([
        '--yes',
        '--tls-cert',
        `/root/certs/${cert}`,
        '--tls-key',
        `/root/certs/${key}`,
      ]);
      assert.equal(refused.code, 11, refused.output.slice(-1500));
      assert.match(refused.output, reason);
      assert.equal(await fingerprintOfInstall(s.vps), before, 'nothing changed (files and container)');
    }
    s.note = `install ${(r.ms / 1000).toFixed(1)} s; mismatched key and expired certificate refused (exit 11)`;
    return 11;
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
}

export function httpsScenarios(): void {
  const missing = pebbleMissing();
  if (missing) {
    // With REQUIRE_E2E=1 (CI) a missing pebble is a failure: this is the only scenario that
    // stages exit 13 through a real cause on a VPS (no ACME server answers), and a skip would pass for it.
    test('https --domain with pebble [debian 12 bookworm]', { skip: REQUIRE_E2E ? false : missing }, () => {
      throw new Error(`REQUIRE_E2E=1 and ${missing}`);
    });
  } else {
    scenario('https --domain with pebble, openai SDK, renewal under an open stream', 'bookworm', domainInstall);
  }
  scenario('https operator certificate; mismatched key and expired refused', 'bookworm', operatorCertificate);
}
