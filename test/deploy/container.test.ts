// The release image run the way the definitions run it, on the local engine: settings are read
// from deployment.yaml and from the committed ECS template (user, read-only root, capabilities,
// limits, environment, probes, health check command, drain), not restated here. Proves that a
// config folder holding only provider-config.yaml works (secrets as environment variables) and
// that the ECS way of shipping the config (a derived image, docs/scale-out.md) starts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUIRE_E2E, has, requireArtifacts, run, unpack } from '../release/artifacts.ts';
import { loadManifests } from './k8s-manifests.ts';
import { TEMPLATE_PATH } from '../../deploy/ecs/synthesize.ts';

type Obj = Record<string, any>;
const NAME = `aip-deploy-${randomBytes(4).toString('hex')}`;
const IMAGE = `${NAME}:test`;
const CONFIG_IMAGE = `${NAME}:test-config`;

function engineSkip(): string | false {
  const { skip } = requireArtifacts();
  if (skip) return skip;
  const reason = !has('docker')
    ? 'docker CLI not installed'
    : run('docker', ['info', '--format', '{{.ServerVersion}}']).status !== 0
      ? 'no Docker engine answers'
      : '';
  if (reason === '') return false;
  if (REQUIRE_E2E) test('a Docker engine answers (REQUIRE_E2E=1)', () => assert.fail(reason));
  return reason;
}
const skip = engineSkip();

function docker(...args: string[]): string {
  const r = run('docker', args);
  assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function get(port: string, path: string, token?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: await res.text() };
}

/** Waits (up to 30 s on a busy machine) until the container answers on its published port. */
async function publishedPort(container: string, path: string): Promise<string> {
  const port = docker('port', container, '8080/tcp').split('\n')[0]!.split(':').pop()!;
  for (let i = 0; i < 60; i++) {
    try {
      if ((await get(port, path)).status === 200) return port;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`${container} never answered ${path}: ${run('docker', ['logs', container]).stderr}`);
}

function stopCleanly(container: string, graceSeconds: number): void {
  docker('stop', '-t', String(graceSeconds), container);
  assert.equal(
    docker('inspect', '-f', '{{.State.ExitCode}}', container),
    '0',
    'SIGTERM must end in a clean drain (exit 0)',
  );
  assert.match(run('docker', ['logs', container]).stdout, /"msg":"stopped"/);
}

const work = mkdtempSync(join(tmpdir(), 'aip-deploy-run-'));
chmodSync(work, 0o755);
after(() => {
  for (const c of [`${NAME}-k8s`, `${NAME}-ecs`]) run('docker', ['rm', '-f', c]);
  if (!skip) run('docker', ['rmi', CONFIG_IMAGE, IMAGE]);
  rmSync(work, { recursive: true, force: true });
});

test('the image built from the archive as docs/scale-out.md says, run as the Kubernetes Deployment runs it', {
  skip,
}, async () => {
  const { artifacts } = requireArtifacts();
  const dir = await unpack(artifacts!.archive);
  try {
    docker('build', '-q', '-t', IMAGE, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const docs = loadManifests();
  const deployment = docs.find((d) => d.object.kind === 'Deployment')!.object as Obj;
  const configMap = docs.find((d) => d.object.kind === 'ConfigMap')!.object as Obj;
  const pod = deployment.spec.template.spec;
  const c = pod.containers[0];
  const sc = c.securityContext;
  const configMount = c.volumeMounts.find((m: Obj) => m.mountPath !== '/tmp');
  const tmp = pod.volumes.find((v: Obj) => v.emptyDir);

  // The mounted ConfigMap: a folder with provider-config.yaml and nothing else.
  const configDir = join(work, 'config');
  run('mkdir', ['-m', '755', configDir]);
  writeFileSync(join(configDir, 'provider-config.yaml'), configMap.data['provider-config.yaml'], { mode: 0o644 });

  const token = randomBytes(32).toString('hex');
  const args = [
    'run',
    '-d',
    '--name',
    `${NAME}-k8s`,
    '--user',
    `${sc.runAsUser}:${sc.runAsGroup}`,
    '--memory',
    c.resources.limits.memory.replace('Mi', 'm'),
    '--cpus',
    String(parseInt(c.resources.limits.cpu, 10) / 1000),
  ];
  if (sc.readOnlyRootFilesystem) args.push('--read-only');
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  for (const cap of sc.capabilities.drop) args.push('--cap-drop', cap);
  args.push('--tmpfs', `/tmp:rw,noexec,nosuid,size=${tmp.emptyDir.sizeLimit.replace('Mi', 'm')}`);
  args.push('-v', `${configDir}:${configMount.mountPath}:ro`, '-p', '127.0.0.1::8080');
  for (const e of c.env) args.push('-e', `${e.name}=${e.value}`);
  args.push('-e', `AUTH_TOKEN=${token}`); // what envFrom: ai-proxy-secrets gives the pod
  args.push(IMAGE, ...c.args);
  docker(...args);

  const port = await publishedPort(`${NAME}-k8s`, c.startupProbe.httpGet.path);
  assert.equal((await get(port, c.livenessProbe.httpGet.path)).status, 200);
  assert.deepEqual(await get(port, c.readinessProbe.httpGet.path), { status: 200, body: '{"status":"ready"}' });
  assert.equal((await get(port, '/v1/models', token)).status, 200);
  stopCleanly(`${NAME}-k8s`, pod.terminationGracePeriodSeconds);
});

test('the derived image with provider-config.yaml, run as the ECS task definition runs it', { skip }, async () => {
  // docs/scale-out.md: Fargate has no ConfigMap, so the config is layered onto the image.
  const context = join(work, 'ecs-image');
  run('mkdir', ['-p', context]);
  const k8sConfig = (loadManifests().find((d) => d.object.kind === 'ConfigMap')!.object as Obj).data[
    'provider-config.yaml'
  ];
  writeFileSync(join(context, 'provider-config.yaml'), k8sConfig, { mode: 0o644 });
  writeFileSync(
    join(context, 'Dockerfile'),
    `FROM ${IMAGE}\nCOPY provider-config.yaml /app/config/provider-config.yaml\n`,
  );
  docker('build', '-q', '-t', CONFIG_IMAGE, context);

  const template = JSON.parse(readFileSync(TEMPLATE_PATH, 'utf8')) as Obj;
  const resources: Obj = template.Resources;
  const task = Object.values(resources).find((r: Obj) => r.Type === 'AWS::ECS::TaskDefinition').Properties;
  const targetGroup = Object.values(resources).find(
    (r: Obj) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup',
  ).Properties;
  const c = task.ContainerDefinitions[0];
  const param = (v: unknown): string =>
    typeof v === 'object' && v !== null && 'Ref' in v ? String(template.Parameters[(v as Obj).Ref].Default) : String(v);

  const args = [
    'run',
    '-d',
    '--name',
    `${NAME}-ecs`,
    '--user',
    c.User,
    '--memory',
    `${c.Memory}m`,
    '--cpus',
    String(c.Cpu / 1024),
    '-p',
    '127.0.0.1::8080',
  ];
  if (c.ReadonlyRootFilesystem) args.push('--read-only');
  if (c.LinuxParameters.InitProcessEnabled) args.push('--init');
  for (const cap of c.LinuxParameters.Capabilities.Drop) args.push('--cap-drop', cap);
  for (const t of c.LinuxParameters.Tmpfs)
    args.push('--tmpfs', `${t.ContainerPath}:${t.MountOptions.join(',')},size=${t.Size}m`);
  for (const e of c.Environment) args.push('-e', `${e.Name}=${param(e.Value)}`);
  const token = randomBytes(24).toString('hex'); // as the generated secret: 48 characters
  for (const s of c.Secrets) args.push('-e', `${s.Name}=${s.Name === 'AUTH_TOKEN' ? token : ''}`); // provider keys start empty
  args.push(CONFIG_IMAGE, ...c.Command);
  docker(...args);

  const port = await publishedPort(`${NAME}-ecs`, targetGroup.HealthCheckPath);
  assert.deepEqual(await get(port, targetGroup.HealthCheckPath), { status: 200, body: '{"status":"ready"}' });
  assert.equal((await get(port, '/v1/models', token)).status, 200);
  // The container health check exactly as ECS runs it ("CMD" = exec form, no shell).
  assert.equal(c.HealthCheck.Command[0], 'CMD');
  const probe = run('docker', ['exec', `${NAME}-ecs`, ...c.HealthCheck.Command.slice(1)]);
  assert.equal(probe.status, 0, `health check command failed: ${probe.stdout}${probe.stderr}`);
  stopCleanly(`${NAME}-ecs`, c.StopTimeout);
});
