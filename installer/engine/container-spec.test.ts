import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSpec } from './container-spec.ts';
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

test('the create document carries every hardening setting (CIS Docker section 5)', () => {
  const spec = containerSpec(base);
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
  assert.deepEqual(spec.Env, ['DATA_DIR=/app/data'], 'the key store is in the mounted data folder');
  assert.deepEqual(host.PortBindings, { '9090/tcp': [{ HostIp: '127.0.0.1', HostPort: '9090' }] });
  assert.deepEqual(spec.ExposedPorts, { '9090/tcp': {} });
  assert.equal(host.LogConfig?.Type, 'json-file');
  assert.equal(host.Init, true);
  assert.equal(host.NetworkMode, 'bridge');
  assert.notEqual(host.PidMode, 'host');
  assert.notEqual(host.IpcMode, 'host');
  assert.equal(spec.Healthcheck, undefined, "the image's health check applies unchanged");
});

test('faster start-period checks only where the engine supports them', () => {
  assert.deepEqual(containerSpec({ ...base, startIntervalMs: 1000 }).Healthcheck, { StartInterval: 1_000_000_000 });
  assert.equal(supportsStartInterval('1.41'), false);
  assert.equal(supportsStartInterval('1.44'), true);
  assert.equal(supportsStartInterval('1.45'), true);
  assert.equal(supportsStartInterval('2.0'), true);
});
