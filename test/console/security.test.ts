// The console's defences against the release executable, over real sockets: no session means a
// redirect or a 401, a forged CSRF token is refused, the CSP header is on every answer and the
// pages carry no inline script, the console port is bound to loopback only, and the public port
// refuses to carry the console without HTTPS (exit 78).
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireArtifacts, run, unpack } from '../release/artifacts.ts';
import { type RunningExecutable, startExecutable, TOKEN } from './harness.ts';

const { artifacts, skip } = requireArtifacts();

/** Whether a TCP connection to host:port is accepted (loopback addresses only). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The local addresses of the listening TCP sockets on `port` (from /proc/net/tcp). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A')
    .map((f) => {
      const hex = f[1]!.split(':')[0]!;
      return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
    });
}

describe('console security, against the release executable', { skip }, () => {
  let x: RunningExecutable;
  before(async () => {
    // The proxy on every address, as in the container; the console with its default host.
    x = await startExecutable(artifacts!.archive, { host: '0.0.0.0' });
  });
  after(async () => {
    await x?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${x.consoleUrl}${path}`, { headers, redirect: 'manual' });

  async function signIn(): Promise<{ cookie: string; csrf: string }> {
    const r = await fetch(`${x.consoleUrl}/console/api/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: x.consoleUrl },
      body: JSON.stringify({ secret: TOKEN }),
    });
    assert.equal(r.status, 200);
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
    return { cookie, csrf: ((await r.json()) as { csrf: string }).csrf };
  }

  it('redirects to sign-in without a session, and the API answers 401', async () => {
    for (const path of ['/', '/console/', '/console/keys', '/console/providers']) {
      const r = await get(path);
      assert.equal(r.status, 303, path);
      assert.match(r.headers.get('location') ?? '', /^\/console\/(sign-in\?next=|$)/);
    }
    for (const path of ['/console/api/overview?range=1h', '/console/api/keys', '/console/api/config']) {
      const r = await get(path);
      assert.equal(r.status, 401, path);
    }
    const forged = await get('/console/api/keys', { cookie: 'aip_console=forged-session-id-0123456789abcdefghij' });
    assert.equal(forged.status, 401, 'a made-up session id is no session');
  });

  it('refuses a change with a forged or missing CSRF token', async () => {
    const { cookie, csrf } = await signIn();
    const post = (token: string | undefined) =>
      fetch(`${x.consoleUrl}/console/api/keys`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: x.consoleUrl,
          cookie,
          ...(token === undefined ? {} : { 'x-csrf-token': token }),
        },
        body: JSON.stringify({ name: 'csrf-probe' }),
      });
    assert.equal((await post(undefined)).status, 403);
    assert.equal((await post('A'.repeat(csrf.length))).status, 403);
    const keys = x.cli('keys', 'list', '--json');
    assert.deepEqual(JSON.parse(keys.stdout), [], 'no key was made');
    assert.equal((await post(csrf)).status, 201, 'the real token works');
  });

  it('sends the strict CSP everywhere, and the pages load scripts only from files', async () => {
    const { cookie } = await signIn();
    for (const path of [
      '/console/sign-in',
      '/console/',
      '/console/assets/app.js',
      '/console/api/keys',
      '/console/nope',
    ]) {
      const r = await get(path, { cookie });
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /^default-src 'none'; script-src 'self'; style-src 'self';/, path);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(r.headers.get('x-frame-options'), 'DENY');
      if (r.headers.get('content-type')?.startsWith('text/html')) {
        const html = await r.text();
        assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${path}: inline script`);
        assert.doesNotMatch(html, /\son[a-z]+=|\sstyle=|<style/i, `${path}: inline handler or style`);
      }
    }
  });

  it('binds the console to loopback only: another loopback address is refused, the proxy is not', async () => {
    assert.deepEqual(listeningAddresses(x.consolePort), ['127.0.0.1']);
    assert.match(x.logs(), /"msg":"console listening","address":"127.0.0.1"/);
    assert.equal(await accepts('127.0.0.1', x.consolePort), true);
    assert.equal(await accepts('127.0.0.2', x.consolePort), false, 'console: 127.0.0.1 only');
    assert.equal(await accepts('127.0.0.2', x.proxyPort), true, 'the proxy itself listens on every address');
  });

  it('refuses the console on the public port without HTTPS (exit 78, one line)', async () => {
    const dir = await unpack(artifacts!.archive, ['ai-proxy']);
    try {
      writeFileSync(join(dir, '.env'), `AUTH_TOKEN=${TOKEN}\nCONSOLE_ON_PUBLIC_PORT=true\n`);
      writeFileSync(
        join(dir, 'provider-config.yaml'),
        'providers:\n  - name: echo\n    type: echo\n    models: [echo]\n',
      );
      const r = run(join(dir, 'ai-proxy'), ['serve', '--config-dir', dir, '--port', '0'], {
        env: { PATH: process.env.PATH },
      });
      assert.equal(r.status, 78, r.stderr);
      assert.match(r.stderr, /^ai-proxy: invalid configuration: \.env: CONSOLE_ON_PUBLIC_PORT: needs HTTPS on PORT/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
