// CONSOLE_ON_PUBLIC_PORT: the console under /console/ on PORT, which speaks HTTPS (a test CA's
// certificate); every other path is still the proxy's. Runs `ai-proxy serve` from src/ (tsx).
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startProxyProcess, TOKEN, writeConfigDir, type ProxyProcess } from '../integration/harness.ts';
import { makeCa, makeLeaf, type TestCa } from '../integration/tls-helpers.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('the console on the public HTTPS port', () => {
  let ca: TestCa;
  let px: ProxyProcess;
  let port = 0;

  before(async () => {
    ca = makeCa();
    const leaf = makeLeaf(ca, 'console');
    const dir = writeConfigDir(
      'providers:\n  - name: echo\n    type: echo\n    models: [echo]\n',
      `TLS_CERT_FILE=${leaf.certFile}\nTLS_KEY_FILE=${leaf.keyFile}\nCONSOLE_ON_PUBLIC_PORT=true\n`,
    );
    px = await startProxyProcess(dir);
    port = Number(new URL(px.url).port);
  });
  after(async () => {
    px?.child.kill('SIGTERM');
    await px?.exited;
    rmSync(px.dir, { recursive: true, force: true });
    rmSync(ca.dir, { recursive: true, force: true });
  });

  function https(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
    return new Promise<Answer>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, ca: ca.pem },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  it('serves /console/ on PORT over HTTPS, with HSTS, the CSP and a Secure session cookie', async () => {
    const page = await https('/console/');
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, '/console/sign-in?next=%2Fconsole%2F');
    assert.match(String(page.headers['strict-transport-security']), /max-age=/);
    assert.match(String(page.headers['content-security-policy']), /^default-src 'none'/);
    const origin = `https://127.0.0.1:${port}`;
    const signIn = await https('/console/api/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ secret: TOKEN }),
    });
    assert.equal(signIn.status, 200, signIn.body);
    assert.match(String(signIn.headers['set-cookie']), /HttpOnly; SameSite=Strict; Secure/);
    assert.doesNotMatch(px.stdout(), /"msg":"console listening"/, 'no listener of its own without CONSOLE_PORT');
  });

  it('leaves every other path to the proxy', async () => {
    const near = await https('/consoles');
    assert.equal(near.status, 404);
    assert.match(near.body, /no such endpoint/);
    assert.equal((await https('/v1/models')).status, 401);
    assert.equal((await https('/v1/models', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  });
});
