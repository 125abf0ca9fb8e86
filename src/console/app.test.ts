// The console's handler in memory (no port): the sign-in gate, the session cookie, CSRF and
// same-origin checks, the CSP and the absence of inline script, sign-in limits.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { requestInMemory, TEST_TOKEN } from '../http/in-memory.ts';
import { Logger } from '../observability/logger.ts';
import { type Handler, HOST, SAME_ORIGIN, setup, signIn } from './in-memory-console.ts';
import { hashPassword } from './password.ts';
import { REFUSAL_WINDOW_MS } from './sign-in-limit.ts';
import { readUiFiles } from './ui-files.ts';
import { CSP } from './web.ts';

describe('console handler', () => {
  let t: ReturnType<typeof setup>;
  before(() => {
    t = setup();
  });
  after(async () => {
    await t.built.closeStore();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('redirects pages to sign-in and answers the API with 401 without a session', async () => {
    for (const path of ['/console/', '/console/keys', '/console/requests/1-2', '/console/config']) {
      const r = await requestInMemory(t.handler, path);
      assert.equal(r.status, 303, path);
      assert.equal(r.headers.location, `/console/sign-in?next=${encodeURIComponent(path)}`);
    }
    for (const path of ['/console/api/overview', '/console/api/keys', '/console/api/config', '/console/api/session']) {
      const r = await requestInMemory(t.handler, path);
      assert.equal(r.status, 401, path);
    }
    assert.equal((await requestInMemory(t.handler, '/')).headers.location, '/console/');
    assert.equal((await requestInMemory(t.handler, '/console/sign-in')).status, 200);
  });

  it('sends the strict CSP on every answer; pages carry no inline script, style or handler', async () => {
    for (const path of ['/console/', '/console/sign-in', '/console/assets/app.js', '/console/api/keys', '/nope']) {
      const r = await requestInMemory(t.handler, path);
      assert.equal(r.headers['content-security-policy'], CSP, path);
      assert.equal(r.headers['x-frame-options'], 'DENY');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
    assert.match(CSP, /default-src 'none'/);
    assert.match(CSP, /frame-ancestors 'none'/);
    assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval/);
    const files = readUiFiles();
    for (const [name, text] of Object.entries(files)) {
      if (name.endsWith('.html')) {
        for (const tag of text.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\bsrc="\/console\/assets\//, name);
        assert.doesNotMatch(text, /<script\b[^>]*>[^<]+<\/script>/, `${name}: inline script`);
        assert.doesNotMatch(text, /<style\b|\sstyle=|\son[a-z]+=/i, `${name}: inline style or handler`);
      }
      if (name.endsWith('.js') && !name.startsWith('uplot'))
        assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function/, name);
    }
    assert.ok(files['uplot.js']?.includes('uPlot'), 'uPlot is served from the executable itself');
  });

  it('signs in with AUTH_TOKEN into an HttpOnly SameSite=Strict cookie; a wrong secret is refused', async () => {
    const wrong = await signIn(t.handler, 'not-the-token');
    assert.equal(wrong.r.status, 401);
    assert.equal(wrong.r.headers['set-cookie'], undefined);
    const { r, cookie } = await signIn(t.handler);
    assert.equal(r.status, 200);
    const set = r.headers['set-cookie'] ?? '';
    assert.match(set, /^aip_console=[\w-]{40,}; Path=\/console; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    const page = await requestInMemory(t.handler, '/console/keys', { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.body, /<main class="main"/);
    const out = await requestInMemory(t.handler, '/console/api/sign-out', {
      method: 'POST',
      headers: { ...SAME_ORIGIN, cookie, 'x-csrf-token': (await session(cookie)).csrf },
    });
    assert.equal(out.status, 200);
    assert.equal((await requestInMemory(t.handler, '/console/api/keys', { headers: { cookie } })).status, 401);
  });

  async function session(cookie: string): Promise<{ csrf: string }> {
    return (await requestInMemory(t.handler, '/console/api/session', { headers: { cookie } })).json() as {
      csrf: string;
    };
  }

  it('refuses a sign-in from another origin', async () => {
    const r = await requestInMemory(t.handler, '/console/api/sign-in', {
      method: 'POST',
      headers: { host: HOST, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: { secret: TEST_TOKEN },
    });
    assert.equal(r.status, 403);
    assert.equal(r.headers['set-cookie'], undefined);
  });

  it('refuses changes without the CSRF token, with a forged one, or from another site', async () => {
    const { cookie, csrf } = await signIn(t.handler);
    const create = (headers: Record<string, string>) =>
      requestInMemory(t.handler, '/console/api/keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...headers },
        body: { name: 'csrf-check' },
      });
    assert.equal((await create(SAME_ORIGIN)).status, 403, 'no token');
    assert.equal((await create({ ...SAME_ORIGIN, 'x-csrf-token': `${csrf.slice(0, -2)}xx` })).status, 403, 'forged');
    assert.equal(
      (await create({ host: HOST, 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrf })).status,
      403,
      'cross-site',
    );
    assert.equal((await create({ host: HOST, origin: 'http://evil.example', 'x-csrf-token': csrf })).status, 403);
    assert.equal((await create({ ...SAME_ORIGIN, 'x-csrf-token': csrf })).status, 201, 'the real page');
  });

  it('limits failed sign-ins per address (429 with Retry-After), logging each failure and the refusals as a count', async () => {
    let log = '';
    const logger = new Logger('info', { write: (chunk: string) => (log += chunk) });
    const fresh = setup({}, logger);
    try {
      for (let i = 0; i < 5; i++) assert.equal((await signIn(fresh.handler, 'wrong')).r.status, 401);
      const limited = await signIn(fresh.handler);
      assert.equal(limited.r.status, 429, 'even the right secret waits');
      assert.ok(Number(limited.r.headers['retry-after']) > 0);
      for (let i = 0; i < 30; i++) assert.equal((await signIn(fresh.handler, 'guess')).r.status, 429);
      await new Promise((r) => setTimeout(r, REFUSAL_WINDOW_MS + 300));
      logger.flush();
      const lines = log.trim().split('\n');
      assert.equal(lines.filter((l) => l.includes('"console: sign-in failed"')).length, 5);
      const refused = lines.filter((l) => l.includes('"console: sign-in refused, too many failed attempts"'));
      assert.equal(refused.length, 1, 'a flood of refused attempts is one line');
      assert.equal(JSON.parse(refused[0]!).count, 31);
      assert.ok(!log.includes('guess') && !log.includes(TEST_TOKEN), 'no secret in the log');
    } finally {
      await fresh.built.closeStore();
      rmSync(fresh.dir, { recursive: true, force: true });
    }
  });
});

describe('console with a password and on HTTPS', () => {
  it('asks for the password instead of AUTH_TOKEN, and sets a Secure cookie and HSTS over HTTPS', async () => {
    const hash = await hashPassword('correct horse battery');
    const t = setup({ CONSOLE_PORT: '9999', CONSOLE_PASSWORD_HASH: hash });
    try {
      const https = t.built.app.listener(true, false) as Handler;
      assert.equal((await signIn(https, TEST_TOKEN, `https://${HOST}`)).r.status, 401, 'AUTH_TOKEN no longer signs in');
      const { r } = await signIn(https, 'correct horse battery', `https://${HOST}`);
      assert.equal(r.status, 200, r.body);
      assert.match(r.headers['set-cookie'] ?? '', /; HttpOnly; SameSite=Strict; Secure$/);
      assert.match(r.headers['strict-transport-security'] ?? '', /max-age=/);
      assert.equal((r.json() as { sign_in: string }).sign_in, 'password');
    } finally {
      await t.built.closeStore();
      rmSync(t.dir, { recursive: true, force: true });
    }
  });
});
