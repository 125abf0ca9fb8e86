import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSpec, holderSpec } from './container-spec.ts';
import { supportsStartInterval } from './endpoint.ts';

const base = {
  name: 'ai-proxy-next',
  image: 'ai-proxy:1.0.0',
  port: 9090,
  bind: '127.0.0.1',
  configDir: '/srv/ai-proxy',
  dataDir: '/srv/ai-proxy/data',
  labels: { a: 'b' },
};

const joined = { holderId: 'f00d', instance: '1.0.0-abcd' };

test('the create document carries every hardening setting (CIS Docker section 5)', () => {
  const spec = containerSpec(base, joined);
  const host = spec.HostConfig!;
  assert.equal(spec.User, '1001:1001');
  assert.equal(host.ReadonlyRootfs, true);
  assert.deepEqual(host.Tmpfs, { '/tmp': 'rw,noexec,nosuid,nodev,size=64m,mode=1777' });
  assert.deepEqual(host.SecurityOpt, ['no-new-privileges:true']);
  assert.deepEqual(host.CapDrop, ['ALL']);
  assert.equal(host.CapAdd, undefined);
  assert.equal(host.Privileged, false);
  assert.equal(host.Memory, 536870912);
  assert.equal(host.MemorySwap, 536870912);
  assert.equal(host.NanoCpus, 500000000);
  assert.ok((host.PidsLimit ?? 0) > 0);
  assert.equal(host.RestartPolicy?.Name, 'unless-stopped');
  assert.deepEqual(host.Mounts, [
    { Type: 'bind', Source: '/srv/ai-proxy', Target: '/app/config', ReadOnly: true },
    { Type: 'bind', Source: '/srv/ai-proxy/data', Target: '/app/data', ReadOnly: false },
  ]);
  assert.deepEqual(
    spec.Env,
    ['DATA_DIR=/app/data', 'AI_PROXY_SHARED_NETWORK=1', 'AI_PROXY_INSTANCE=1.0.0-abcd'],
    'the key store is in the mounted data folder; the port is shared; answers name this proxy',
  );
  assert.equal(host.PortBindings, undefined, 'the holder publishes the port');
  assert.equal(spec.ExposedPorts, undefined);
  assert.equal(host.LogConfig?.Type, 'json-file');
  assert.equal(host.Init, true);
  assert.equal(host.NetworkMode, 'container:f00d', "joined to the holder's namespace (not the host's: CIS 5.9)");
  assert.notEqual(host.PidMode, 'host');
  assert.notEqual(host.IpcMode, 'host');
  assert.equal(spec.Healthcheck, undefined, "the image's health check applies unchanged");
});

test('faster start-period checks only where the engine supports them', () => {
  assert.deepEqual(containerSpec({ ...base, startIntervalMs: 1000 }, joined).Healthcheck, {
    StartInterval: 1_000_000_000,
  });
  assert.equal(supportsStartInterval('1.41'), false);
  assert.equal(supportsStartInterval('1.44'), true);
  assert.equal(supportsStartInterval('1.45'), true);
  assert.equal(supportsStartInterval('2.0'), true);
});

test('the holder: the published port, the sysctl, no health check, the same hardening with 64 MiB', () => {
  const spec = holderSpec(base);
  const host = spec.HostConfig!;
  assert.deepEqual(spec.Cmd, ['hold']);
  assert.deepEqual(host.PortBindings, { '9090/tcp': [{ HostIp: '127.0.0.1', HostPort: '9090' }] });
  assert.deepEqual(spec.ExposedPorts, { '9090/tcp': {} });
  assert.deepEqual(host.Sysctls, { 'net.ipv4.tcp_migrate_req': '1' });
  assert.deepEqual(spec.Healthcheck, { Test: ['NONE'] }, "the image's check asks for a proxy the holder is not");
  assert.equal(spec.User, '1001:1001');
  assert.equal(host.ReadonlyRootfs, true);
  assert.deepEqual(host.SecurityOpt, ['no-new-privileges:true']);
  assert.deepEqual(host.CapDrop, ['ALL']);
  assert.equal(host.CapAdd, undefined);
  assert.equal(host.Privileged, false);
  assert.equal(host.Memory, 64 * 1024 * 1024);
  assert.equal(host.MemorySwap, 64 * 1024 * 1024);
  assert.ok((host.PidsLimit ?? 0) > 0 && (host.NanoCpus ?? 0) > 0);
  assert.equal(host.RestartPolicy?.Name, 'unless-stopped');
  assert.equal(host.NetworkMode, 'bridge');
  assert.equal(host.Mounts, undefined, 'it reads nothing');
  assert.equal(host.Init, true);
});
