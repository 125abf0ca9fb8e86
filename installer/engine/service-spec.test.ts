import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEALTH,
  imageCheckSpec,
  serviceSpec,
  swarmSupported,
  SWARM_DRAIN_DELAY_S,
  type ServiceInput,
} from './service-spec.ts';
import { nodeChangeSeconds } from '../steps/wait-converged.ts';
import { secretName, staleObjects, SERVICE } from './stack.ts';
import { swarmConfig as planSwarmConfig } from '../config-files/swarm-config.ts';

const input: ServiceInput = {
  image: 'ai-proxy:1.2.3',
  version: '1.2.3',
  port: 9090,
  env: { PORT: '9090', LOG_LEVEL: 'warn' },
  secrets: [{ variable: 'AUTH_TOKEN', name: 'ai-proxy-auth_token-0123456789ab', id: 'sec1' }],
  provider: { name: 'ai-proxy-provider-config-ba9876543210', id: 'cfg1' },
  configHash: 'c0ffee',
  apiVersion: '1.41',
};

test('the service carries the hardening Swarm supports, host-mode ports and the stack label', () => {
  const spec = serviceSpec(input);
  const task = spec.TaskTemplate as {
    ContainerSpec: Record<string, any>;
    Resources: any;
    RestartPolicy: any;
    LogDriver: any;
  };
  const c = task.ContainerSpec;
  assert.equal(spec.Name, SERVICE);
  assert.equal(spec.Labels?.['com.docker.stack.namespace'], 'ai-proxy');
  assert.equal(spec.Labels?.['ai-proxy.version'], '1.2.3');
  assert.equal(spec.Labels?.['ai-proxy.config-hash'], 'c0ffee');
  assert.equal(c.User, '1001:1001');
  assert.equal(c.ReadOnly, true);
  assert.equal(c.Init, true);
  assert.deepEqual(c.CapabilityDrop, ['ALL']);
  assert.equal(c.CapabilityAdd, undefined);
  assert.equal('Privileges' in c, false);
  assert.deepEqual(c.Mounts, [
    { Type: 'tmpfs', Source: '', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 } },
  ]);
  assert.deepEqual(c.Env, ['DRAIN_DELAY=10', 'LOG_LEVEL=warn', 'PORT=9090']);
  assert.deepEqual(c.HealthCheck.Test, ['CMD', '/app/ai-proxy', 'healthcheck', '--ready', '--port', '9090']);
  assert.equal(c.HealthCheck.StartInterval, undefined, 'API 1.41 has no StartInterval');
  assert.deepEqual(task.Resources.Limits, { MemoryBytes: 536870912, NanoCPUs: 500000000, Pids: 256 });
  assert.deepEqual(task.LogDriver, { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '3' } });
  assert.equal(task.RestartPolicy.Condition, 'any');
  assert.deepEqual(spec.EndpointSpec?.Ports, [
    { Protocol: 'tcp', TargetPort: 9090, PublishedPort: 9090, PublishMode: 'host' },
  ]);
  assert.deepEqual(spec.Mode, { Global: {} });
});

test('secrets land in /run/secrets/<VAR> and the provider file at /app/config, readable by 1001 only', () => {
  const c = (serviceSpec(input).TaskTemplate as { ContainerSpec: Record<string, any> }).ContainerSpec;
  assert.deepEqual(c.Secrets, [
    {
      SecretID: 'sec1',
      SecretName: 'ai-proxy-auth_token-0123456789ab',
      File: { Name: 'AUTH_TOKEN', UID: '1001', GID: '1001', Mode: 0o400 },
    },
  ]);
  assert.deepEqual(c.Configs, [
    {
      ConfigID: 'cfg1',
      ConfigName: 'ai-proxy-provider-config-ba9876543210',
      File: { Name: '/app/config/provider-config.yaml', UID: '1001', GID: '1001', Mode: 0o440 },
    },
  ]);
});

test('rolling update: one at a time, stop-first, rollback on failure, a monitor window; replicas and StartInterval', () => {
  const spec = serviceSpec({ ...input, replicas: 2, apiVersion: '1.45' });
  assert.deepEqual(spec.UpdateConfig, {
    Parallelism: 1,
    Delay: 10e9,
    FailureAction: 'rollback',
    Monitor: 23e9,
    MaxFailureRatio: 0,
    Order: 'stop-first',
  });
  assert.equal(spec.RollbackConfig?.Order, 'stop-first');
  assert.equal(spec.RollbackConfig?.Parallelism, 1);
  assert.deepEqual(spec.Mode, { Replicated: { Replicas: 2 } });
  assert.equal(((spec.TaskTemplate as any).ContainerSpec.HealthCheck as { StartInterval?: number }).StartInterval, 1e9);
  assert.equal(swarmSupported('1.40'), false);
  assert.equal(swarmSupported('1.41'), true);
});

test('the image check is a one-shot global service that never restarts', () => {
  const spec = imageCheckSpec('ai-proxy-image-check-abc', 'ai-proxy:1.2.3');
  assert.deepEqual(spec.Mode, { Global: {} });
  assert.equal((spec.TaskTemplate as any).RestartPolicy.Condition, 'none');
  assert.deepEqual((spec.TaskTemplate as any).ContainerSpec.Args, ['--version']);
});

test('secrets and the config are named by content; PORT and LOG_LEVEL stay plain settings', () => {
  assert.equal(secretName('AUTH_TOKEN', 'abc'), 'ai-proxy-auth_token-ba7816bf8f01');
  assert.ok(secretName('A'.repeat(80), 'x').length <= 64);
  const env = 'PORT=8080\nLOG_LEVEL=debug\nAUTH_TOKEN=' + 't'.repeat(40) + '\nOPENAI_API_KEY=sk-1\nEMPTY=\n';
  const plan = planSwarmConfig(env, 'providers: []\n', 9090);
  assert.deepEqual(
    plan.secrets.map((s) => s.variable),
    ['AUTH_TOKEN', 'OPENAI_API_KEY'],
  );
  assert.deepEqual(plan.env, { PORT: '9090', LOG_LEVEL: 'debug' });
  assert.match(plan.provider.name, /^ai-proxy-provider-config-[0-9a-f]{12}$/);
  const changed = planSwarmConfig(env.replace('sk-1', 'sk-2'), 'providers: []\n', 9090);
  assert.notEqual(changed.configHash, plan.configHash);
  assert.equal(changed.secrets[0]!.name, plan.secrets[0]!.name, 'an unchanged token keeps its secret');
  assert.notEqual(changed.secrets[1]!.name, plan.secrets[1]!.name);
  assert.deepEqual(
    staleObjects(
      [plan.secrets[1]!.name, changed.secrets[1]!.name, 'other-secret'],
      changed.secrets.map((s) => s.name),
    ),
    [plan.secrets[1]!.name],
  );
});

const container = (spec: ReturnType<typeof serviceSpec>) =>
  (spec.TaskTemplate as { ContainerSpec: { StopGracePeriod: number; Env: string[] } }).ContainerSpec;

test('a task is never killed while it drains: the stop grace period covers DRAIN_DELAY, then DRAIN_TIMEOUT', () => {
  // Swarm's default is 10 s: a stream still running then would be cut by SIGKILL
  const byDefault = serviceSpec(input);
  assert.equal(SWARM_DRAIN_DELAY_S, 10);
  assert.equal(container(byDefault).StopGracePeriod, (10 + 600 + 10) * 1e9);
  assert.ok(container(byDefault).Env.includes('DRAIN_DELAY=10'), 'the task reads the delay its grace period assumes');
  const set = serviceSpec({ ...input, env: { ...input.env, DRAIN_TIMEOUT: '120', DRAIN_DELAY: '20' } });
  assert.equal(container(set).StopGracePeriod, (20 + 120 + 10) * 1e9);
  assert.deepEqual(container(set).Env, ['DRAIN_DELAY=20', 'DRAIN_TIMEOUT=120', 'LOG_LEVEL=warn', 'PORT=9090']);
  assert.throws(() => serviceSpec({ ...input, env: { ...input.env, DRAIN_DELAY: 'soon' } }), /DRAIN_DELAY/);
});

test('the next node leaves only after DRAIN_DELAY, the time a load balancer needs to take the last one back in', () => {
  assert.equal(serviceSpec(input).UpdateConfig?.Delay, 10e9);
  assert.equal(serviceSpec(input).RollbackConfig?.Delay, 10e9);
  const long = serviceSpec({ ...input, env: { ...input.env, DRAIN_DELAY: '30' } });
  assert.equal(long.UpdateConfig?.Delay, 30e9);
  // no load balancer to wait for: the short pause of before
  assert.equal(serviceSpec({ ...input, env: { ...input.env, DRAIN_DELAY: '0' } }).UpdateConfig?.Delay, 2e9);
});

test('the monitor window outlasts the health checks that turn a task unhealthy right after it was healthy', () => {
  const monitor = (serviceSpec(input).UpdateConfig?.Monitor ?? 0) / 1e9;
  assert.ok(
    monitor > HEALTH.intervalSeconds * HEALTH.retries + HEALTH.timeoutSeconds,
    `monitor ${monitor} s must outlast ${HEALTH.retries} failed checks ${HEALTH.intervalSeconds} s apart`,
  );
});

test("the installer waits per node as long as a node may take: the old task's drain, the pause, the monitor window", () => {
  assert.equal(nodeChangeSeconds(serviceSpec(input)), 620 + 10 + 23);
  assert.equal(nodeChangeSeconds(undefined), 10 + 2 + 23, 'a spec without the fields: Swarm defaults');
});
