// ACME against Debian's pebble on loopback: the proxy orders its certificate with a real
// HTTP-01 check on HTTP_PORT (pebble resolves the test name through a DNS responder in the
// test), serves it to the openai SDK, renews it in the running process (20-second
// certificates), reuses the stored one after a restart, and reports a failing CA in /health.
// PROXY_TARGET=executable (test/executable/acme.test.ts) runs the same against the release executable.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { freePort, havePebble, startPebble, type Pebble } from './acme-pebble.ts';
import { openaiProvider, TOKEN, writeConfigDir } from './harness.ts';
import { proxyCommand, targetLabel } from './target.ts';

const DOMAIN = 'proxy.aip-tls.example';
const skip =
  !havePebble() && process.env.REQUIRE_E2E !== '1'
    ? 'pebble is not installed (apt-get install -y pebble; REQUIRE_E2E=1 makes this a failure)'
    : false;

interface Serve {
  child: ChildProcess;
  out: () => string;
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

/** `ai-proxy serve` as the current target (PROXY_TARGET, target.ts). */
function serve(dir: string, port: number): Serve {
  const { command, args } = proxyCommand(['serve', '--config-dir', dir, '--port', String(port), '--host', '127.0.0.1']);
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    out: () => out,
    // generous: a loaded 2-core machine can take 20 s just to start the proxy under tsx
    async waitFor(re, ms = 60_000) {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${re} in the proxy's output:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The certificate presented for DOMAIN, checked against pebble's root. */
function presented(port: number, root: string): Promise<{ fingerprint: string; subjectaltname: string }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: DOMAIN, ca: root }, () => {
      const c = s.getPeerX509Certificate()!;
      resolve({ fingerprint: c.fingerprint256, subjectaltname: c.subjectAltName ?? '' });
      s.end();
    });
    s.once('error', reject);
  });
}

describe(`ACME with pebble (${targetLabel()})`, { skip }, () => {
  let pebble: Pebble;
  let upstream: MockUpstream;
  let httpPort: number;
  let httpsPort: number;
  let dir: string;
  let root: string;
  let proxy: Serve;
  let issued: string;

  before(async () => {
    httpPort = await freePort();
    httpsPort = await freePort();
    pebble = await startPebble(httpPort, 20);
    root = await pebble.issuerRoot();
    upstream = await startOpenAIMock();
    dir = writeConfigDir(
      `providers:\n${openaiProvider('oa', upstream.url, '    models: [gpt-4o]\n')}`,
      `ACME_DOMAIN=${DOMAIN}\nACME_EMAIL=ops@aip-tls.example\nHTTP_PORT=${httpPort}\nACME_DIRECTORY_URL=${pebble.directoryUrl}\nACME_CA_FILE=${pebble.caFile}\nACME_STATE_DIR=acme\n`,
    );
    proxy = serve(dir, httpsPort);
  });
  after(async () => {
    await proxy?.stop();
    await upstream?.close();
    await pebble?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('orders a certificate over HTTP-01 and opens HTTPS once it is there', async () => {
    await proxy.waitFor(/"msg":"acme certificate issued"/);
    await proxy.waitFor(/"msg":"listening".*"protocol":"https"/);
    const cert = await presented(httpsPort, root);
    assert.equal(cert.subjectaltname, `DNS:${DOMAIN}`);
    issued = cert.fingerprint;
    assert.match(
      pebble.log(),
      new RegExp(
        `Attempting to validate w/ HTTP: http://${DOMAIN.replace(/\./g, '\\.')}:${httpPort}/\\.well-known/acme-challenge/`,
      ),
      'pebble fetched the token from HTTP_PORT',
    );
    // The state folder (relative ACME_STATE_DIR: under the config folder), modes per the contract.
    const mode = (f: string) => (statSync(join(dir, 'acme', f)).mode & 0o777).toString(8);
    assert.deepEqual(
      [mode('account.key'), mode('key.pem'), mode('cert.pem'), mode('state.json')],
      ['600', '600', '640', '640'],
    );
    assert.doesNotMatch(proxy.out(), /BEGIN (EC )?PRIVATE KEY/, 'no key in the logs');
  });

  it("serves the openai SDK with pebble's root trusted, and /health shows the certificate", async () => {
    const dispatcher = new Agent({
      connect: {
        ca: root,
        lookup: (_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
          o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
      } as never,
    });
    const client = new OpenAI({
      apiKey: TOKEN,
      baseURL: `https://${DOMAIN}:${httpsPort}/v1`,
      maxRetries: 0,
      fetch: undiciFetch as unknown as typeof fetch,
      fetchOptions: { dispatcher } as never,
    });
    const r = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'acme' }] });
    assert.equal(r.choices[0]!.message.content, 'mock-openai: acme');
    const health = (await (await undiciFetch(`https://${DOMAIN}:${httpsPort}/health`, { dispatcher })).json()) as {
      components: { tls: Record<string, unknown> };
    };
    const tls = health.components.tls;
    assert.equal(tls.mode, 'acme');
    assert.equal(tls.status, 'ok');
    assert.deepEqual(tls.names, [DOMAIN]);
    assert.ok(
      Date.parse(String(tls.next_renewal_at)) < Date.parse(String(tls.not_after)),
      'renewal is planned before expiry',
    );
    assert.equal(typeof tls.last_renewal_at, 'string');
  });

  it('renews in the running process and serves the new certificate without a restart', async () => {
    const pid = proxy.child.pid;
    await proxy.waitFor(/"msg":"acme certificate renewed"/, 40_000);
    const cert = await presented(httpsPort, root);
    assert.notEqual(cert.fingerprint, issued);
    assert.equal(proxy.child.pid, pid);
    assert.equal(proxy.child.exitCode, null);
  });

  it('after a restart, the stored certificate is served at once', async () => {
    await proxy.stop();
    proxy = serve(dir, httpsPort);
    await proxy.waitFor(/"msg":"acme certificate reused/);
    const listening = await proxy.waitFor(/"msg":"listening".*"protocol":"https"/);
    assert.ok(
      proxy.out().indexOf('acme certificate reused') < listening.index,
      'HTTPS opened with the stored certificate',
    );
    assert.equal((await presented(httpsPort, root)).subjectaltname, `DNS:${DOMAIN}`);
  });
});

describe(`ACME failures (${targetLabel()})`, { skip }, () => {
  it('a CA that is not trusted: no HTTPS, the error in /health (loopback, HTTP_PORT), backoff in state.json', async () => {
    const httpPort = await freePort();
    const pebble = await startPebble(httpPort, 60);
    // ACME_CA_FILE left out: pebble's HTTPS is signed by a CA this process does not trust.
    const dir = writeConfigDir(
      'providers:\n  - name: e\n    type: echo\n    models: [m]\n',
      `ACME_DOMAIN=${DOMAIN}\nHTTP_PORT=${httpPort}\nACME_DIRECTORY_URL=${pebble.directoryUrl}\nACME_STATE_DIR=acme\n`,
    );
    const proxy = serve(dir, await freePort());
    try {
      await proxy.waitFor(/"msg":"acme order failed".*"retry_at"/, 60_000);
      assert.doesNotMatch(proxy.out(), /"msg":"listening"/);
      assert.equal((await fetch(`http://127.0.0.1:${httpPort}/health/ready`)).status, 503);
      assert.equal((await fetch(`http://127.0.0.1:${httpPort}/health/live`)).status, 200);
      const health = (await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json()) as {
        status: string;
        components: { tls: { status: string; last_error: string } };
      };
      assert.equal(health.components.tls.status, 'error');
      assert.match(health.components.tls.last_error, /ACME_CA_FILE/);
      const state = JSON.parse(readFileSync(join(dir, 'acme', 'state.json'), 'utf8')) as { failures: number };
      assert.equal(state.failures, 1);
    } finally {
      await proxy.stop();
      await pebble.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ACME configuration errors', () => {
  it('an ACME_STATE_DIR that cannot be a folder is exit 78 before any port opens', async () => {
    const dir = writeConfigDir(
      'providers:\n  - name: e\n    type: echo\n    models: [m]\n',
      `ACME_DOMAIN=${DOMAIN}\nHTTP_PORT=${await freePort()}\nACME_STATE_DIR=/dev/null/acme\n`,
    );
    const proxy = serve(dir, await freePort());
    const code = await new Promise<number | null>((r) => proxy.child.once('exit', (c) => r(c)));
    assert.equal(code, 78);
    assert.match(
      proxy.out(),
      /^ai-proxy: invalid configuration: ACME_STATE_DIR: \/dev\/null\/acme: ENOTDIR \(ACME_STATE_DIR must be a writable folder\)$/m,
    );
    assert.doesNotMatch(proxy.out(), /listening/);
    rmSync(dir, { recursive: true, force: true });
  });
});
