// The console in a real browser (Debian's chromium driven by playwright-core, no browser
// download) against the release executable, with traffic from the real openai and Anthropic
// SDKs through a mock upstream: sign in, read the overview, check a chart's points against the
// ledger, create a key and use it, revoke it and see the next request refused, a page of another
// origin refused when it posts with the session cookie. Screenshots of
// every page go to test/artifacts/console/ (printed at the end).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { REQUIRE_E2E, ROOT, requireArtifacts } from '../release/artifacts.ts';
import { eventually, MODEL, type RunningExecutable, startExecutable, TOKEN } from './harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test/artifacts/console');
// The flags that keep Chromium off the network on a machine without internet; playwright gives
// every launch a fresh, empty user data folder of its own.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const { artifacts, skip: noArtifacts } = requireArtifacts();
const noBrowser = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;
if (noBrowser && REQUIRE_E2E)
  it('chromium is installed (REQUIRE_E2E=1)', () => {
    throw new Error(noBrowser);
  });
const skip = noArtifacts || noBrowser;

describe('console in Chromium, against the release executable', { skip }, () => {
  let x: RunningExecutable;
  let browser: Browser;
  let page: Page;
  const shots: string[] = [];
  const cspViolations: string[] = [];
  const openai = (apiKey: string) => new OpenAI({ baseURL: `${x.proxyUrl}/v1`, apiKey, maxRetries: 0 });

  /** A full-page PNG of each page; `docs` adds a small JPEG of the screen (docs/images/ takes its copies from these). */
  async function shot(name: string, p: Page = page, docs = false): Promise<void> {
    const path = join(SHOTS, `${name}.png`);
    await p.screenshot({ path, fullPage: true });
    shots.push(path);
    if (docs) await p.screenshot({ path: join(SHOTS, `${name}.jpg`), type: 'jpeg', quality: 70 });
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    x = await startExecutable(artifacts!.archive);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: x.consoleUrl });
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => cspViolations.push(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await x?.stop();
    if (shots.length) process.stdout.write(`console screenshots:\n${shots.map((s) => `  ${s}`).join('\n')}\n`);
  });

  it('signs in with AUTH_TOKEN after being sent to the sign-in page', async () => {
    await page.goto(`${x.consoleUrl}/console/keys`);
    assert.match(page.url(), /\/console\/sign-in\?next=%2Fconsole%2Fkeys$/);
    await shot('sign-in');
    await page.fill('#secret', 'wrong-secret');
    await page.click('button[type=submit]');
    await page.waitForSelector('#sign-in-error:not([hidden])');
    assert.match((await page.textContent('#sign-in-error')) ?? '', /wrong AUTH_TOKEN/);
    await page.fill('#secret', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(`${x.consoleUrl}/console/keys`);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'aip_console');
    assert.ok(cookie?.httpOnly, 'HttpOnly');
    assert.equal(cookie?.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the script cannot read the session');
  });

  it('refuses a change that a page of another origin makes with the session cookie (CSRF)', async () => {
    // A page on another port of the same host is the same site, so SameSite=Strict still sends
    // the cookie: the console's Origin/Sec-Fetch-Site check and CSRF token must refuse it.
    const api = `${x.consoleUrl}/console/api/keys`;
    const attacker = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form id="f" method="POST" action="${api}" enctype="text/plain">
<input name='{"name":"csrf-form","x":"' value='"}'></form>
<script>fetch(${JSON.stringify(api)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
  headers: { 'content-type': 'text/plain' }, body: '{"name":"csrf-fetch"}' })
  .finally(() => document.getElementById('f').submit());</script>`);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    const evil = await page.context().newPage();
    const seen: string[] = [];
    evil.on('requestfinished', async (r) => {
      if (r.url() !== api) return;
      const cookie = /aip_console=/.test((await r.allHeaders()).cookie ?? '');
      seen.push(`${r.resourceType()} ${(await r.response())?.status()} cookie:${cookie}`);
    });
    evil.on(
      'requestfailed',
      (r) => r.url() === api && seen.push(`${r.resourceType()} failed ${r.failure()?.errorText}`),
    );
    try {
      await evil.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      await eventually('both forged requests answered', async () => (seen.length >= 2 ? true : undefined));
    } finally {
      await evil.close();
      attacker.close();
    }
    const [document, fetched] = seen.sort();
    assert.equal(document, 'document 403 cookie:true', 'the form post carried the cookie and was refused');
    // The fetch reaches the console too; its answer is also withheld from the page (CORP).
    assert.match(fetched ?? '', /^fetch (403|failed net::ERR_BLOCKED_BY_RESPONSE)/);
    const keys = x.cli('keys', 'list', '--json');
    assert.deepEqual(JSON.parse(keys.stdout), [], 'no key was made');
  });

  it('shows the traffic of the real SDKs on the overview, and the chart draws the ledger', async () => {
    const client = openai(TOKEN);
    for (let i = 0; i < 5; i++)
      await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `hello ${i}` }] });
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: 'stream' }],
    });
    for await (const _ of stream);
    const anthropic = new Anthropic({ baseURL: x.proxyUrl, apiKey: TOKEN, maxRetries: 0 });
    for (let i = 0; i < 3; i++)
      await anthropic.messages.create({
        model: MODEL,
        max_tokens: 50,
        messages: [{ role: 'user', content: `hi ${i}` }],
      });
    await client.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })
      .catch(() => {});
    // One request whose first provider fails: the backup answers (a fallback in its ledger row).
    x.mock.script({ kind: 'status', status: 500 });
    await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'fall back' }] });
    await page.click('.nav a[data-page=overview]');
    await page.click('button[data-range="1h"]');
    await eventually('the overview counts 11 requests', async () => {
      await page.click('button[data-range="1h"]');
      const text = await page.textContent('[data-stat=requests] .value');
      return text === '11' ? text : undefined;
    });
    assert.equal(await page.textContent('[data-stat=errors] .value'), '9.1%');
    await page.waitForSelector('#chart-requests .uplot');
    await shot('overview', page, true);
    // Each drawn point of the requests chart (per minute and provider) against `ai-proxy usage`.
    const drawn = await page.$$eval('#chart-requests table.chart-points tr[data-raw]', (rows) =>
      rows.map((r) => [r.firstElementChild!.textContent, JSON.parse((r as HTMLElement).dataset.raw!)]),
    );
    const labels = await page.$$eval('#chart-requests table.chart-points th', (ths) =>
      ths.slice(1).map((t) => t.textContent),
    );
    const usage = x.cli('usage', '--since', '2h', '--by', 'minute,provider', '--json');
    assert.equal(usage.status, 0, usage.stderr);
    const ledger = new Map<string, number>();
    for (const g of JSON.parse(usage.stdout).groups as { minute: string; provider: string; requests: number }[]) {
      const key = `${g.minute}|${g.provider || '(none)'}`;
      ledger.set(key, (ledger.get(key) ?? 0) + g.requests);
    }
    const points = new Map<string, number>();
    for (const [time, raw] of drawn)
      (raw as number[]).forEach((v, i) => v && points.set(`${String(time).slice(0, 16)}Z|${labels[i]}`, v));
    assert.ok(points.size > 0, `drawn: ${JSON.stringify(drawn)} labels: ${JSON.stringify(labels)}`);
    assert.deepEqual(points, ledger);
  });

  let secret = '';
  it('creates a key (shown once, with a copy button) that the openai SDK can use at once', async () => {
    await page.click('.nav a[data-page=keys]');
    await page.click('#new-key');
    await page.fill('#name', 'browser-e2e');
    await page.fill('#rpm', '100');
    await page.fill('#budget', '5');
    await page.click('button[type=submit][form=key-form]');
    await page.waitForSelector('#new-secret');
    secret = (await page.textContent('#new-secret')) ?? '';
    assert.match(secret, /^aip_[0-9A-Za-z]{43}$/);
    await page.click('#copy-secret');
    await eventually('the copy button puts the key on the clipboard', async () =>
      (await page.evaluate(() => navigator.clipboard.readText())) === secret ? true : undefined,
    );
    await shot('key-created');
    await page.click('dialog >> text=Done');
    await page.waitForSelector('[data-revoke="browser-e2e"]');
    await shot('keys');
    assert.ok(!(await page.content()).includes(secret), 'the key is gone from the page once the dialog closes');
    const reply = await eventually('the new key works', async () =>
      openai(secret).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'with my key' }] }),
    );
    assert.equal(reply.choices[0]?.message.role, 'assistant');
  });

  it('revokes the key; the next request with it is refused', async () => {
    await page.click('[data-revoke="browser-e2e"]');
    await page.click('#confirm-revoke');
    await page.waitForSelector('[data-revoke="browser-e2e"]', { state: 'detached' });
    const refused = await eventually('the revoked key is refused', async () => {
      try {
        await openai(secret).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'again' }] });
        return undefined;
      } catch (error) {
        return error as InstanceType<typeof OpenAI.APIError>;
      }
    });
    assert.equal(refused.status, 401);
    assert.match(refused.message, /revoked/);
  });

  it('lists requests and shows one request, then the providers and the configuration', async () => {
    await page.click('.nav a[data-page=requests]');
    await page.waitForSelector('table tbody tr.clickable');
    await shot('requests');
    await page.selectOption('select[name=route]', 'smart');
    await eventually('only the request to "smart"', async () =>
      (await page.$$('table tbody tr.clickable')).length === 1 ? true : undefined,
    );
    await page.click('table tbody tr.clickable');
    await page.waitForSelector('.timeline li');
    assert.match(page.url(), /\/console\/requests\/\d+-\d+$/);
    const trail = await page.$$eval('.timeline li', (items) => items.map((li) => li.textContent ?? ''));
    assert.equal(trail.length, 2, 'the failed attempt, then the answer');
    assert.match(trail[0]!, /openai \/ gpt-4o-mini.*502/);
    assert.match(trail[1]!, /backup \/ gpt-4o-mini.*200/);
    await shot('request', page, true);
    await page.click('.nav a[data-page=providers]');
    await page.waitForSelector('[data-provider=openai]');
    await shot('providers');
    await page.click('.nav a[data-page=config]');
    await page.waitForSelector('#config-json');
    const config = (await page.textContent('#config-json')) ?? '';
    assert.match(config, /REDACTED/);
    assert.ok(!config.includes(TOKEN) && !config.includes('sk-mock-upstream-key'), 'secrets stay redacted');
    await shot('config');
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.context().addCookies(await page.context().cookies());
    await phone.goto(`${x.consoleUrl}/console/`);
    await phone.waitForSelector('#chart-requests .uplot');
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    const wide = await phone.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > 390 && !e.closest('.nav, .table-wrap, .sidebar'))
        .map((e) => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)
        .slice(0, 5),
    );
    assert.ok(width <= 390, `no sideways scrolling (page is ${width} px wide: ${wide.join(', ')})`);
    await shot('phone-overview', phone);
    await phone.close();
  });

  it('ran without a Content-Security-Policy violation or a script error', () => {
    assert.deepEqual(cspViolations, []);
  });
});
