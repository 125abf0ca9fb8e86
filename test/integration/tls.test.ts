// HTTPS on PORT with the operator's certificate, through the real `ai-proxy serve` process:
// the openai SDK with a test CA trusted, a certificate swap (certbot-style rename) while a
// stream is open, SIGHUP, a bad new pair kept out, protocol limits and the HTTP_PORT listener.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import {
  openaiProvider,
  runProxyCommand,
  startProxyProcess,
  TOKEN,
  writeConfigDir,
  type ProxyProcess,
} from './harness.ts';
import { targetLabel } from './target.ts';
import { freePort } from './acme-pebble.ts';
import { makeCa, makeLeaf, servedFingerprint, type TestCa } from './tls-helpers.ts';

const port = (p: ProxyProcess) => Number(new URL(p.url).port);
const until = async (what: string, check: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Replaces a file the way certbot and Kubernetes do: write beside it, rename over it (new inode). */
function renameInto(from: string, to: string): void {
  copyFileSync(from, `${to}.new`);
  renameSync(`${to}.new`, to);
}

describe(`HTTPS with TLS_CERT_FILE/TLS_KEY_FILE (${targetLabel()})`, () => {
  let ca: TestCa;
  let upstream: MockUpstream;
  let proxy: ProxyProcess;
  let tlsDir: string;
  let httpPort: number;
  let client: OpenAI;
  let first: ReturnType<typeof makeLeaf>;

  before(async () => {
    ca = makeCa();
    first = makeLeaf(ca, 'first');
    upstream = await startOpenAIMock({ eventDelayMs: 150 });
    tlsDir = join(ca.dir, 'live');
    mkdirSync(tlsDir);
    copyFileSync(first.certFile, join(tlsDir, 'cert.pem'));
    copyFileSync(first.keyFile, join(tlsDir, 'key.pem'));
    httpPort = await freePort();
    const dir = writeConfigDir(
      `providers:\n${openaiProvider('oa', upstream.url, '    models: [gpt-4o]\n')}`,
      `TLS_CERT_FILE=${tlsDir}/cert.pem\nTLS_KEY_FILE=${tlsDir}/key.pem\nHTTP_PORT=${httpPort}\n`,
    );
    proxy = await startProxyProcess(dir);
    const dispatcher = new Agent({ connect: { ca: ca.pem } });
    client = new OpenAI({
      apiKey: TOKEN,
      baseURL: `https://localhost:${port(proxy)}/v1`,
      maxRetries: 0,
      fetch: undiciFetch as unknown as typeof fetch,
      fetchOptions: { dispatcher } as unknown as NonNullable<ConstructorParameters<typeof OpenAI>[0]>['fetchOptions'],
    });
  });
  after(async () => {
    proxy?.child.kill('SIGTERM');
    await proxy?.exited;
    await upstream?.close();
    rmSync(ca.dir, { recursive: true, force: true });
    if (proxy) rmSync(proxy.dir, { recursive: true, force: true });
  });

  it('serves the openai SDK over HTTPS, TLS 1.3 with ALPN http/1.1', async () => {
    assert.match(proxy.stdout(), /"msg":"listening".*"protocol":"https"/);
    const r = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'over tls' }],
    });
    assert.equal(r.choices[0]!.message.content, 'mock-openai: over tls');
    const seen = await servedFingerprint(port(proxy), ca.pem);
    assert.equal(seen.fingerprint, first.fingerprint);
    assert.equal(seen.protocol, 'TLSv1.3');
    assert.equal(seen.alpn, 'http/1.1', 'h2 is offered by the client, http/1.1 is chosen');
  });

  it('speaks TLS 1.2 with an AEAD cipher and refuses TLS 1.1', async () => {
    const cipher = await new Promise<string>((resolve, reject) => {
      const s = connect(
        { host: '127.0.0.1', port: port(proxy), servername: 'localhost', ca: ca.pem, maxVersion: 'TLSv1.2' },
        () => {
          resolve(s.getCipher().name);
          s.end();
        },
      );
      s.once('error', reject);
    });
    assert.match(cipher, /GCM|CHACHA20/);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = connect(
          {
            host: '127.0.0.1',
            port: port(proxy),
            servername: 'localhost',
            ca: ca.pem,
            minVersion: 'TLSv1',
            maxVersion: 'TLSv1.1',
            ciphers: 'DEFAULT:@SECLEVEL=0',
          },
          () => resolve(s),
        );
        s.once('error', reject);
      }),
      /alert protocol version/,
      'the server refuses TLS 1.1 (this client, at SECLEVEL=0, would speak it)',
    );
  });

  it('a certificate renamed into place is served to new connections while an open stream completes', async () => {
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu';
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: words }],
    });
    const it = stream[Symbol.asyncIterator]();
    let text = '';
    const firstChunk = await it.next();
    text += firstChunk.value?.choices[0]?.delta.content ?? '';
    const second = makeLeaf(ca, 'second');
    renameInto(second.keyFile, join(tlsDir, 'key.pem'));
    renameInto(second.certFile, join(tlsDir, 'cert.pem'));
    await until(
      'the new certificate',
      async () => (await servedFingerprint(port(proxy), ca.pem)).fingerprint === second.fingerprint,
    );
    for (let n = await it.next(); !n.done; n = await it.next()) text += n.value.choices[0]?.delta.content ?? '';
    assert.equal(text, `mock-openai: ${words}`, 'the stream opened before the swap completed');
    assert.ok(upstream.requests.at(-1)!.aborted === false);
    await until('the reload log line', async () =>
      /"msg":"tls certificate reloaded","reason":"file change"/.test(proxy.stdout()),
    );
    first = second;
  });

  it('a bad new pair is refused, logged and shown in /health; the current certificate stays', async () => {
    const other = makeLeaf(ca, 'other');
    renameInto(other.certFile, join(tlsDir, 'cert.pem')); // the key in place is not this certificate's
    await until('the reload error', async () =>
      /tls certificate reload failed; keeping the current certificate.*does not match/.test(proxy.stdout()),
    );
    assert.equal((await servedFingerprint(port(proxy), ca.pem)).fingerprint, first.fingerprint);
    const health = (await (
      await undiciFetch(`https://localhost:${port(proxy)}/health`, {
        dispatcher: new Agent({ connect: { ca: ca.pem } }),
      })
    ).json()) as { status: string; components: { tls: Record<string, unknown> } };
    assert.equal(health.components.tls.status, 'error');
    assert.match(String(health.components.tls.last_error), /does not match the certificate/);
    assert.equal(health.status, 'degraded');
  });

  it('SIGHUP reloads a pair the folder watch cannot see (files behind symlinks)', async () => {
    // The watched folder holds symlinks; their targets change elsewhere, so only SIGHUP notices.
    const hidden = join(ca.dir, 'hidden');
    mkdirSync(hidden);
    const third = makeLeaf(ca, 'third');
    copyFileSync(third.certFile, join(hidden, 'cert.pem'));
    copyFileSync(third.keyFile, join(hidden, 'key.pem'));
    symlinkSync(join(hidden, 'key.pem'), join(tlsDir, 'key.link'));
    symlinkSync(join(hidden, 'cert.pem'), join(tlsDir, 'cert.link'));
    renameSync(join(tlsDir, 'key.link'), join(tlsDir, 'key.pem'));
    renameSync(join(tlsDir, 'cert.link'), join(tlsDir, 'cert.pem'));
    await until(
      'the symlinked pair',
      async () => (await servedFingerprint(port(proxy), ca.pem)).fingerprint === third.fingerprint,
    );
    const fourth = makeLeaf(ca, 'fourth');
    renameInto(fourth.keyFile, join(hidden, 'key.pem'));
    renameInto(fourth.certFile, join(hidden, 'cert.pem'));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(
      (await servedFingerprint(port(proxy), ca.pem)).fingerprint,
      third.fingerprint,
      'no reload without SIGHUP',
    );
    proxy.child.kill('SIGHUP');
    await until(
      'the SIGHUP reload',
      async () => (await servedFingerprint(port(proxy), ca.pem)).fingerprint === fourth.fingerprint,
    );
    await until('the SIGHUP log line', async () =>
      /"msg":"tls certificate reloaded","reason":"SIGHUP"/.test(proxy.stdout()),
    );
  });

  it('`ai-proxy healthcheck` probes HTTP_PORT when set, else HTTPS on --port without verifying', () => {
    const run = (env: Record<string, string>) =>
      runProxyCommand(['healthcheck', '--config-dir', proxy.dir, '--port', String(port(proxy))], env);
    const viaHttpPort = run({});
    assert.equal(viaHttpPort.status, 0, viaHttpPort.stderr);
    assert.equal(viaHttpPort.stdout, 'ok\n');
    const viaHttps = run({ HTTP_PORT: '' });
    assert.equal(viaHttps.status, 0, viaHttps.stderr);
    const plainToTls = run({ HTTP_PORT: '', TLS_CERT_FILE: '' });
    assert.equal(plainToTls.status, 1, 'plain HTTP to the HTTPS port fails');
    assert.match(plainToTls.stderr, new RegExp(`http://127\\.0\\.0\\.1:${port(proxy)}/health/live`));
  });

  it('HTTP_PORT redirects API calls to HTTPS and answers /health/ready to a loopback client', async () => {
    const res = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: httpPort, path: '/v1/models', headers: { host: 'api.example.com:80' } },
        (r) => {
          r.resume();
          resolve({ status: r.statusCode!, location: r.headers.location });
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(res, { status: 308, location: 'https://api.example.com/v1/models' });
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/health/ready`)).status, 200);
  });
});

describe(`HTTPS configuration errors (${targetLabel()})`, () => {
  it('a mismatched pair at start is a one-line config error, exit 78', async () => {
    const ca = makeCa();
    const a = makeLeaf(ca, 'a');
    const b = makeLeaf(ca, 'b');
    const dir = writeConfigDir(
      'providers:\n  - name: e\n    type: echo\n    models: [m]\n',
      `TLS_CERT_FILE=${a.certFile}\nTLS_KEY_FILE=${b.keyFile}\n`,
    );
    await assert.rejects(
      startProxyProcess(dir),
      (e: Error) =>
        /exited with 78/.test(e.message) &&
        /invalid configuration: TLS_CERT_FILE\/TLS_KEY_FILE: .*does not match the certificate/.test(e.message),
    );
    rmSync(ca.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
});
