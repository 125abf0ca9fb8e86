// Client keys on an installed container: created with `docker exec` as an operator does, they live
// in the data folder the installer mounts (/srv/ai-proxy/data here under a temp root), so they
// survive an upgrade, a restart and --uninstall, and only --purge deletes them.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  docker,
  exists,
  freePort,
  get,
  inspect,
  install,
  newInstall,
  RELEASE_ARCHIVE,
  skipReason,
  type TestInstall,
} from './lib/harness.ts';
import { archiveWithVersion } from './lib/variant.ts';

const reason = skipReason();

describe('client keys across upgrade, restart, --uninstall and --purge on the local engine', {
  skip: reason ?? false,
}, () => {
  let t: TestInstall;
  let port: number;
  let secret: string;
  const argv = (archive: string, ...extra: string[]) => [
    '--archive',
    archive,
    '--yes',
    '--port',
    String(port),
    ...extra,
  ];

  /** A chat request with the client key: 200 once the proxy has the key (it looks every second), else 401. */
  const chatStatus = async (): Promise<number> => {
    const body = JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello keys' }] });
    const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 250));
      status = await get(port, '/v1/chat/completions', headers, body).then(
        (r) => r.status,
        () => 0,
      );
    }
    return status;
  };
  const keyNames = (): string[] =>
    JSON.parse(docker(['exec', t.name, '/app/ai-proxy', 'keys', 'list', '--json'])).map(
      (k: { name: string }) => k.name,
    );

  before(async () => {
    t = newInstall();
    port = await freePort();
  });
  after(() => t?.cleanup());

  test('the install mounts a writable data folder (2770 root:1001) and a key created with docker exec works', async () => {
    const result = await install(t.ctx, argv(RELEASE_ARCHIVE));
    assert.equal(result.code, 0, `${result.error?.message} ${result.stderr}`);
    const data = statSync(t.ctx.paths.dataDir);
    assert.equal(data.mode & 0o7777, 0o2770);
    assert.deepEqual([data.uid, data.gid], [0, 1001]);
    const mount = inspect(t.name).Mounts.find((m: { Destination: string }) => m.Destination === '/app/data');
    assert.equal(mount?.Source, t.ctx.paths.dataDir);
    assert.equal(mount?.RW, true);

    secret = docker(['exec', t.name, '/app/ai-proxy', 'keys', 'create', '--name', 'alice', '--models', 'echo']);
    assert.match(secret, /^aip_/);
    assert.ok(readdirSync(t.ctx.paths.dataDir).includes('ai-proxy.db'), 'the SQLite file is in the data folder');
    assert.equal(await chatStatus(), 200);
  });

  test('the key survives an upgrade to another release and a restart', async () => {
    const next = archiveWithVersion(RELEASE_ARCHIVE, '99.0.0-keys', t.root);
    const result = await install(t.ctx, argv(next));
    assert.equal(result.code, 0, `${result.error?.message} ${result.stderr}`);
    assert.equal(result.summary?.action, 'upgrade');
    assert.deepEqual(keyNames(), ['alice']);
    assert.equal(await chatStatus(), 200);

    docker(['restart', t.name]);
    for (let i = 0; i < 60 && inspect(t.name).State.Health?.Status !== 'healthy'; i++)
      await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(keyNames(), ['alice']);
    assert.equal(await chatStatus(), 200);
  });

  test('--uninstall keeps the keys (a reinstall serves them again); --purge deletes them', async () => {
    const uninstalled = await install(t.ctx, ['--uninstall', '--yes']);
    assert.equal(uninstalled.code, 0, uninstalled.error?.message);
    assert.ok(!exists(t.name));
    assert.ok(existsSync(join(t.ctx.paths.dataDir, 'ai-proxy.db')), '--uninstall keeps the key store');

    const again = await install(t.ctx, argv(RELEASE_ARCHIVE));
    assert.equal(again.code, 0, `${again.error?.message} ${again.stderr}`);
    assert.deepEqual(keyNames(), ['alice']);
    assert.equal(await chatStatus(), 200);

    const purged = await install(t.ctx, ['--uninstall', '--purge', '--yes']);
    assert.equal(purged.code, 0, purged.error?.message);
    assert.ok(!existsSync(t.ctx.paths.dataDir), '--purge deletes the key store');
  });
});
