// The proxy as a real process: signals (SIGHUP reload, SIGTERM drain), exit codes, subcommands
// and what reaches its logs.
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import {
  OPENAI_KEY,
  openaiProvider,
  runProxyCommand,
  startProxyProcess,
  TOKEN,
  writeConfigDir,
  type ProxyProcess,
} from './harness.ts';
import { targetLabel } from './target.ts';

/** Opens a fresh TCP connection: "connected" or the error code. */
function newConnection(url: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

const run = runProxyCommand;

describe(`proxy process (${targetLabel()})`, () => {
  let mock: MockUpstream;
  let px: ProxyProcess;
  let client: OpenAI;
  const yaml = (routes: string) => `providers:
  - name: echo
    type: echo
${openaiProvider('oa', '__URL__', '    models: [gpt-4o]\n    max_retries: 0\n')}routes:
${routes}`;

  before(async () => {
    mock = await startOpenAIMock({ eventDelayMs: 40 });
    const dir = writeConfigDir(yaml('  first: [echo/echo]\n').replace('__URL__', mock.url));
    px = await startProxyProcess(dir);
    client = new OpenAI({ apiKey: TOKEN, baseURL: `${px.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    if (px.child.exitCode === null) px.child.kill('SIGKILL');
    await mock.close();
    rmSync(px.dir, { recursive: true, force: true });
  });

  const models = async () => (await client.models.list()).data.map((m) => m.id);

  it('reloads provider-config.yaml on SIGHUP', async () => {
    assert.ok(!(await models()).includes('second'));
    writeFileSync(
      join(px.dir, 'provider-config.yaml'),
      yaml('  first: [echo/echo]\n  second: [oa/gpt-4o]\n').replace('__URL__', mock.url),
    );
    px.child.kill('SIGHUP');
    for (let i = 0; i < 100 && !(await models()).includes('second'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok((await models()).includes('second'));
  });

  it('keeps the old config when the new one is invalid, and says why', async () => {
    writeFileSync(
      join(px.dir, 'provider-config.yaml'),
      yaml('  first: [echo/echo]\n  broken: [nobody/x]\n').replace('__URL__', mock.url),
    );
    px.child.kill('SIGHUP');
    let health: { status: string; components: { config: { last_reload_error?: string } } } | undefined;
    for (let i = 0; i < 100; i++) {
      health = (await (await fetch(`${px.url}/health`)).json()) as typeof health;
      if (health!.components.config.last_reload_error) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(health!.status, 'degraded');
    assert.match(
      health!.components.config.last_reload_error!,
      /^provider-config\.yaml:\d+ routes\.broken\[0\]: unknown provider "nobody"/,
    );
    const r = await client.chat.completions.create({
      model: 'second',
      messages: [{ role: 'user', content: 'still here' }],
    });
    assert.equal(r.choices[0]!.message.content, 'mock-openai: still here');
  });

  it('never writes the client token or a provider key to its logs', async () => {
    mock.script({
      kind: 'status',
      status: 500,
      body: { error: { message: `bad key ${OPENAI_KEY} for token ${TOKEN}`, type: 'server_error' } },
    });
    await assert.rejects(
      client.chat.completions.create({ model: 'second', messages: [{ role: 'user', content: 'x' }] }),
      (e: Error) => {
        assert.ok(!e.message.includes(OPENAI_KEY) && !e.message.includes(TOKEN), 'not in the response either');
        return true;
      },
    );
    await new Promise((r) => setTimeout(r, 100));
    const logs = px.stdout() + px.stderr();
    assert.match(logs, /"status":502/);
    assert.ok(!logs.includes(OPENAI_KEY), 'provider key in logs');
    assert.ok(!logs.includes(TOKEN), 'client token in logs');
    for (const line of px.stdout().trim().split('\n')) JSON.parse(line);
  });

  it('drains an open stream on SIGTERM, then exits 0', async () => {
    const words = Array.from({ length: 12 }, (_, i) => `w${i}`).join(' ');
    const stream = await client.chat.completions.create({
      model: 'second',
      stream: true,
      messages: [{ role: 'user', content: words }],
    });
    let text = '';
    let signalled = false;
    let refused: Promise<string> | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (!signalled) {
        signalled = true;
        px.child.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 100));
        refused = newConnection(px.url);
      }
    }
    assert.equal(await refused, 'ECONNREFUSED', 'no new connections while draining');
    assert.equal(text, `mock-openai: ${words}`, 'the whole stream arrived after SIGTERM');
    assert.equal(await px.exited, 0);
    assert.match(px.stdout(), /"msg":"stopped"/);
  });
});

describe(`subcommands (${targetLabel()})`, () => {
  it('exits 78 with one clear line on an invalid config', () => {
    const dir = writeConfigDir('providers:\n  - name: x\n    type: openai-compatible\n    base_url: nope\n');
    try {
      const r = run(['serve', '--config-dir', dir]);
      assert.equal(r.status, 78);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /provider-config\.yaml:4 providers\[0\]\.base_url: invalid URL/);
      const c = run(['config', '--config-dir', dir]);
      assert.equal(c.status, 78);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 78 when AUTH_TOKEN is too short, naming the variable', () => {
    const dir = writeConfigDir('providers:\n  - name: echo\n    type: echo\n');
    try {
      const r = run(['serve', '--config-dir', dir], { AUTH_TOKEN: 'short' });
      assert.equal(r.status, 78);
      assert.match(r.stderr, /AUTH_TOKEN: too short/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the effective config with secrets redacted', () => {
    const dir = writeConfigDir(`providers:\n${openaiProvider('oa', 'http://127.0.0.1:9', '    models: [m]\n')}`);
    try {
      const r = run(['config', '--config-dir', dir]);
      assert.equal(r.status, 0, r.stderr);
      const cfg = JSON.parse(r.stdout) as { providers: { api_key: string }[]; routes: Record<string, string[]> };
      assert.match(cfg.providers[0]!.api_key, /REDACTED/);
      assert.deepEqual(cfg.routes.m, ['oa/m']);
      assert.ok(!r.stdout.includes(OPENAI_KEY) && !r.stdout.includes(TOKEN));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('healthcheck exits 1 when nothing listens and 2 on a bad flag', () => {
    const r = run(['healthcheck', '--port', '9']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /127\.0\.0\.1:9\/health\/live/);
    assert.equal(run(['healthcheck', '--bogus', '1']).status, 2);
  });

  it('healthcheck --ready fails while the proxy would not be sent traffic (no usable provider); without it, it passes', async () => {
    // a Swarm task's check: a rolling update must not move on from a task a load balancer skips
    const dir = writeConfigDir(
      'providers:\n  - name: oa\n    type: openai\n    base_url: http://127.0.0.1:9/v1\n    api_key: ${MISSING_KEY}\n',
    );
    const px = await startProxyProcess(dir);
    try {
      const port = new URL(px.url).port;
      const live = run(['healthcheck', '--port', port]);
      assert.equal(live.status, 0, live.stderr);
      const ready = run(['healthcheck', '--ready', '--port', port]);
      assert.equal(ready.status, 1, ready.stdout);
      assert.match(ready.stderr, new RegExp(`127\\.0\\.0\\.1:${port}/health/ready: HTTP 503`));
    } finally {
      px.child.kill('SIGTERM');
      await px.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('healthcheck exits 0 against a running proxy, reading PORT from the config', async () => {
    const dir = writeConfigDir('providers:\n  - name: echo\n    type: echo\n');
    const px = await startProxyProcess(dir);
    try {
      const port = new URL(px.url).port;
      writeFileSync(join(dir, '.env'), `AUTH_TOKEN=${TOKEN}\nPORT=${port}\n`);
      const r = run(['healthcheck', '--config-dir', dir]);
      assert.equal(r.status, 0, r.stderr);
    } finally {
      px.child.kill('SIGTERM');
      await px.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
