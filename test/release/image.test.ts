// The image recipe from the archive, on the local Docker engine: it builds offline with the
// legacy builder (and BuildKit when the buildx plugin is there), runs read-only as 1001
// without capabilities, reaches `healthy` and serves /ping on the published port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { configFrom, has, REQUIRE_E2E, readManifest, requireArtifacts, run, unpack } from './artifacts.ts';

const { artifacts, skip: noArtifacts } = requireArtifacts();
const engine = has('docker') && run('docker', ['info', '--format', '{{.ServerVersion}}']).status === 0;
if (!engine && REQUIRE_E2E) {
  test('a Docker engine is reachable (REQUIRE_E2E=1)', () => assert.fail('docker info failed: start dockerd'));
}
const skip = noArtifacts || (!engine && 'no Docker engine reachable (docker info failed)');
const suffix = randomBytes(4).toString('hex');
const HARDENED = [
  '--read-only',
  '--tmpfs',
  '/tmp:rw,noexec,nosuid,size=16m',
  '--security-opt',
  'no-new-privileges',
  '--cap-drop',
  'ALL',
  '--memory',
  '512m',
  '--cpus',
  '0.5',
  '--pids-limit',
  '128',
];

function build(context: string, tag: string, buildkit: boolean) {
  return run('docker', ['build', '--quiet', '--tag', tag, context], {
    env: { ...process.env, DOCKER_BUILDKIT: buildkit ? '1' : '0' },
  });
}

function removeImage(tag: string): void {
  run('docker', ['image', 'rm', '--force', tag]);
}

test('the image builds with the legacy builder, runs hardened as 1001 and becomes healthy', {
  skip,
  timeout: 240_000,
}, async () => {
  const dir = await unpack(artifacts!.archive);
  const tag = `aip-release-test:${suffix}`;
  const name = `aip-release-test-${suffix}`;
  try {
    const manifest = readManifest(dir);
    const built = build(dir, tag, false);
    assert.equal(built.status, 0, built.stderr);

    const image = JSON.parse(run('docker', ['image', 'inspect', tag]).stdout)[0];
    assert.equal(image.Config.User, '1001:1001');
    assert.deepEqual(image.Config.Entrypoint, ['/app/ai-proxy']);
    assert.deepEqual(image.Config.Cmd, ['serve']);
    assert.deepEqual(Object.keys(image.Config.ExposedPorts), ['8080/tcp']);
    assert.equal(image.Config.StopSignal, 'SIGTERM');
    assert.ok(image.Config.Env.includes('AI_PROXY_CONFIG_DIR=/app/config'));
    assert.deepEqual(image.Config.Healthcheck.Test, ['CMD', '/app/ai-proxy', 'healthcheck', '--port', '8080']);
    assert.equal(image.Config.Labels['org.opencontainers.image.version'], manifest.version);
    assert.equal(image.Config.Labels['org.opencontainers.image.revision'], manifest.commit);
    console.log(`image size: ${(image.Size / 1e6).toFixed(1)} MB`);

    const config = join(dir, 'config');
    configFrom(dir, config);
    const started = run('docker', [
      'run',
      '--detach',
      '--name',
      name,
      ...HARDENED,
      '--volume',
      `${config}:/app/config:ro`,
      '--publish',
      '127.0.0.1::8080',
      tag,
    ]);
    assert.equal(started.status, 0, started.stderr);

    let status = '';
    for (let attempt = 0; attempt < 120 && status !== 'healthy' && status !== 'unhealthy'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = run('docker', ['inspect', '--format', '{{.State.Health.Status}}', name]).stdout.trim();
    }
    assert.equal(status, 'healthy', run('docker', ['logs', name]).stderr);

    const container = JSON.parse(run('docker', ['inspect', name]).stdout)[0];
    assert.equal(container.Config.User, '1001:1001');
    assert.equal(container.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(container.HostConfig.CapDrop, ['ALL']);
    const top = run('docker', ['top', name, '-o', 'pid,uid,args']).stdout;
    assert.match(top, /^\s*\d+\s+1001\s+\/app\/ai-proxy serve/m, top);

    const port = run('docker', ['port', name, '8080/tcp']).stdout.trim().split(':').pop();
    const response = await fetch(`http://127.0.0.1:${port}/ping`);
    assert.equal(response.status, 200);
    assert.equal((await response.text()).trim(), 'pong');

    const stopped = run('docker', ['stop', '--time', '10', name]);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.equal(
      run('docker', ['inspect', '--format', '{{.State.ExitCode}}', name]).stdout.trim(),
      '0',
      'SIGTERM stops it cleanly',
    );
  } finally {
    run('docker', ['rm', '--force', name]);
    removeImage(tag);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the image builds with BuildKit', { skip, timeout: 240_000 }, async (t) => {
  if (run('docker', ['buildx', 'version']).status !== 0) {
    return t.skip('BuildKit is not available here: the docker buildx plugin is not installed');
  }
  const dir = await unpack(artifacts!.archive);
  const tag = `aip-release-test-bk:${suffix}`;
  try {
    const built = build(dir, tag, true);
    assert.equal(built.status, 0, built.stderr);
    const user = run('docker', ['image', 'inspect', '--format', '{{.Config.User}}', tag]).stdout.trim();
    assert.equal(user, '1001:1001');
    const version = run('docker', ['run', '--rm', '--read-only', '--cap-drop', 'ALL', tag, '--version']);
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^ai-proxy \d+\.\d+\.\d+/);
  } finally {
    removeImage(tag);
    rmSync(dir, { recursive: true, force: true });
  }
});
