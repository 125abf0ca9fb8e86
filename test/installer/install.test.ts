// The installer against the real local Docker engine and the real release archive from pkg/:
// install, idempotent re-run, port change, a rollback that leaves the previous container
// serving, a refused config, a busy port, dry run, uninstall. Runs in order on one install.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
  tokenOf,
  type TestInstall,
} from './lib/harness.ts';

const reason = skipReason();

describe('installer on the local engine', { skip: reason ?? false }, () => {
  let t: TestInstall;
  let port1: number;
  let port2: number;
  let firstId: string;
  const argv = (...extra: string[]) => ['--archive', RELEASE_ARCHIVE, '--yes', ...extra];

  before(async () => {
    t = newInstall();
    port1 = await freePort();
    port2 = await freePort();
    while (port2 === port1) port2 = await freePort();
  });
  after(() => t?.cleanup());

  test('first install: healthy, serving, hardened, configured', async () => {
    const result = await install(t.ctx, argv('--port', String(port1), '--json'));
    assert.equal(result.code, 0, `${result.error?.message} ${result.stderr}`);
    const summary = JSON.parse(result.stdout.trim());
    assert.equal(summary.ok, true);
    assert.equal(summary.action, 'install');
    assert.equal(summary.port, port1);
    assert.match(summary.authToken, /^[A-Za-z0-9_-]{43}$/, 'the new token is shown once');
    assert.equal(summary.authToken, tokenOf(t.ctx));

    const info = inspect(t.name);
    firstId = info.Id;
    assert.equal(info.State.Running, true);
    assert.equal(info.State.Health.Status, 'healthy');
    const holder = inspect(`${t.name}-holder`);
    // both containers: CIS Docker section 5, as the engine applied it
    for (const [which, c, memory] of [
      ['proxy', info, 512 * 1024 * 1024],
      ['holder', holder, 64 * 1024 * 1024],
    ] as const) {
      const host = c.HostConfig;
      assert.equal(c.Config.User, '1001:1001', which);
      assert.equal(host.ReadonlyRootfs, true, which);
      assert.match(host.Tmpfs['/tmp'], /^rw,noexec,nosuid,nodev,size=\d+m/, which);
      assert.deepEqual(host.SecurityOpt, ['no-new-privileges:true'], which);
      assert.ok(!JSON.stringify(host.SecurityOpt).includes('seccomp'), 'the default seccomp profile stays');
      assert.deepEqual(host.CapDrop, ['ALL'], which);
      assert.equal(host.CapAdd, null, which);
      assert.equal(host.Memory, memory, which);
      assert.equal(host.MemorySwap, host.Memory, which);
      assert.ok(host.NanoCpus > 0 && host.NanoCpus <= 500_000_000, which);
      assert.ok(host.PidsLimit > 0 && host.PidsLimit <= 1024, which);
      assert.equal(host.RestartPolicy.Name, 'unless-stopped', which);
      assert.equal(host.Init, true, which);
      assert.equal(host.Privileged, false, which);
      assert.notEqual(host.PidMode, 'host', which);
      assert.notEqual(host.IpcMode, 'host', which);
      assert.equal(host.LogConfig.Type, 'json-file', which);
      assert.ok(host.LogConfig.Config['max-size'] && host.LogConfig.Config['max-file'], which);
    }
    assert.equal(info.HostConfig.NanoCpus, 500_000_000);
    // the holder owns the namespace and the port; the proxy joins it and publishes nothing
    assert.equal(holder.HostConfig.NetworkMode, 'bridge');
    assert.deepEqual(holder.HostConfig.PortBindings, {
      [`${port1}/tcp`]: [{ HostIp: '0.0.0.0', HostPort: String(port1) }],
    });
    assert.equal(holder.HostConfig.Sysctls['net.ipv4.tcp_migrate_req'], '1');
    assert.deepEqual(holder.Config.Cmd, ['hold']);
    assert.equal(info.HostConfig.NetworkMode, `container:${holder.Id}`);
    assert.deepEqual(info.HostConfig.PortBindings ?? {}, {});
    assert.ok(info.Config.Env.includes('AI_PROXY_SHARED_NETWORK=1'));
    const mount = info.Mounts.find((m: { Destination: string }) => m.Destination === '/app/config');
    assert.equal(mount.Source, t.ctx.paths.configDir);
    assert.equal(mount.RW, false);
    assert.equal(info.Config.Image, `${t.name}:${summary.version}`);
    assert.ok(exists(`${t.name}:latest`));

    assert.equal((await get(port1, '/ping')).status, 200);
    const chat = await get(
      port1,
      '/v1/chat/completions',
      { authorization: `Bearer ${tokenOf(t.ctx)}`, 'content-type': 'application/json' },
      JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello installer' }] }),
    );
    assert.equal(chat.status, 200, chat.text);
    assert.match(chat.text, /hello installer/);
    assert.equal((await get(port1, '/v1/chat/completions', { 'content-type': 'application/json' }, '{}')).status, 401);

    const dir = statSync(t.ctx.paths.configDir);
    assert.equal(dir.mode & 0o777, 0o750);
    assert.deepEqual([dir.uid, dir.gid], [0, 1001]);
    for (const file of ['.env', 'provider-config.yaml']) {
      const stat = statSync(join(t.ctx.paths.configDir, file));
      assert.equal(stat.mode & 0o777, 0o640, file);
      assert.deepEqual([stat.uid, stat.gid], [0, 1001], file);
    }
    assert.equal(existsSync(t.ctx.paths.workDir), false, 'the build folder is removed');
    assert.equal(statSync(t.ctx.paths.logFile).mode & 0o777, 0o600);
    assert.ok(!readFileSync(t.ctx.paths.logFile, 'utf8').includes(summary.authToken), 'the log never holds the token');
  });

  test('re-run with the same archive and port changes nothing', async () => {
    const envBefore = readFileSync(join(t.ctx.paths.configDir, '.env'));
    const result = await install(t.ctx, argv());
    assert.equal(result.code, 0, result.error?.message);
    assert.equal(result.summary?.action, 'unchanged');
    assert.match(result.stdout, /Nothing to do/);
    assert.equal(inspect(t.name).Id, firstId);
    assert.deepEqual(readFileSync(join(t.ctx.paths.configDir, '.env')), envBefore);
  });

  test('dry run prints the plan and touches nothing', async () => {
    const result = await install(t.ctx, argv('--port', String(port2), '--dry-run'));
    assert.equal(result.code, 0, result.error?.message);
    assert.match(result.stdout, /Plan:/);
    assert.match(result.stdout, /Dry run: nothing was changed/);
    assert.equal(inspect(t.name).Id, firstId);
    assert.match(readFileSync(join(t.ctx.paths.configDir, '.env'), 'utf8'), new RegExp(`^PORT=${port1}$`, 'm'));
  });

  test('a new port reconfigures; every other byte of the configuration survives', async () => {
    const envPath = join(t.ctx.paths.configDir, '.env');
    const edited = `${readFileSync(envPath, 'utf8')}# operator note\nEXTRA_SETTING=kept\n`;
    writeFileSync(envPath, edited);
    const result = await install(t.ctx, argv('--port', String(port2)));
    assert.equal(result.code, 0, result.error?.message);
    assert.equal(result.summary?.action, 'reconfigure');
    assert.equal(readFileSync(envPath, 'utf8'), edited.replace(`PORT=${port1}`, `PORT=${port2}`));
    assert.equal((await get(port2, '/ping')).status, 200);
    await assert.rejects(get(port1, '/ping'));
    assert.ok(!exists(`${t.name}-previous`) && !exists(`${t.name}-holder-previous`));
    assert.deepEqual(Object.keys(inspect(`${t.name}-holder`).HostConfig.PortBindings), [`${port2}/tcp`]);
    assert.ok(existsSync(join(t.ctx.paths.configDir, '.backup')), 'the previous .env is kept in .backup/');
    firstId = inspect(t.name).Id;
  });

  test('a container that cannot become healthy in time is rolled back; the previous one keeps serving', async () => {
    const envBefore = readFileSync(join(t.ctx.paths.configDir, '.env'));
    const imagesBefore = docker(['images', '-q', '--filter', `label=io.ai-proxy.repo=${t.name}`])
      .split('\n')
      .sort();
    const result = await install(t.ctx, argv('--force', '--health-timeout', '1'));
    assert.equal(result.code, 13, result.error?.message);
    assert.match(result.error?.message ?? '', /health/);
    const info = inspect(t.name);
    assert.equal(info.Id, firstId, 'the previous container has its name back');
    assert.equal(info.State.Health.Status, 'healthy');
    assert.equal((await get(port2, '/ping')).status, 200);
    assert.ok(!exists(`${t.name}-previous`) && !exists(`${t.name}-next`));
    assert.deepEqual(readFileSync(join(t.ctx.paths.configDir, '.env')), envBefore);
    assert.equal(existsSync(t.ctx.paths.workDir), false);
    assert.deepEqual(
      docker(['images', '-q', '--filter', `label=io.ai-proxy.repo=${t.name}`])
        .split('\n')
        .sort(),
      imagesBefore,
    );
  });

  test('an invalid existing provider-config.yaml stops the install with its exact error, nothing changed', async () => {
    const path = join(t.ctx.paths.configDir, 'provider-config.yaml');
    const good = readFileSync(path);
    writeFileSync(path, 'providers:\n  - name: broken\n    type: no-such-type\n    models: [x]\n');
    try {
      const result = await install(t.ctx, argv('--force'));
      assert.equal(result.code, 11);
      assert.match(result.error?.message ?? '', /provider-config\.yaml:\d+ providers\[0\]\.type/);
      assert.equal(inspect(t.name).Id, firstId);
    } finally {
      writeFileSync(path, good);
    }
  });

  test('a port held by another program is refused with 9', async () => {
    const busy = await freePort();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(busy, '0.0.0.0', resolve));
    try {
      const result = await install(t.ctx, argv('--port', String(busy)));
      assert.equal(result.code, 9);
      assert.match(result.error?.message ?? '', new RegExp(`port ${busy} is already in use`));
      assert.equal(inspect(t.name).Id, firstId);
    } finally {
      server.close();
    }
  });

  test('a port published by another container is refused with 9', async () => {
    const result = await install(t.ctx, argv('--port', String(port2), '--dry-run'));
    assert.equal(result.code, 0, 'our own port counts as free');
    const other = newInstall();
    try {
      const clash = await install(other.ctx, argv('--port', String(port2), '--dry-run'));
      assert.equal(clash.code, 9);
      // the holder publishes the installation's port
      assert.match(clash.error?.message ?? '', new RegExp(`published by the container "${t.name}-holder"`));
    } finally {
      other.cleanup();
    }
  });

  test('uninstall removes container and images and keeps the configuration; --purge deletes it', async () => {
    const result = await install(t.ctx, ['--uninstall', '--yes']);
    assert.equal(result.code, 0, result.error?.message);
    assert.ok(!exists(t.name));
    assert.equal(docker(['images', '-q', '--filter', `label=io.ai-proxy.repo=${t.name}`]), '');
    assert.ok(existsSync(join(t.ctx.paths.configDir, '.env')));
    const again = await install(t.ctx, ['--uninstall', '--purge', '--yes']);
    assert.equal(again.code, 0);
    assert.ok(!existsSync(t.ctx.paths.configDir));
  });
});
