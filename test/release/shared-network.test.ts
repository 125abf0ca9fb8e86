// The release image in the holder pattern, on the local engine: a holder container (`ai-proxy
// hold`) owns the network namespace and the published port, two proxy containers join it
// (`--network container:`), and the old one is told to drain once the new one is healthy and
// answers through the published port. A client that never retries, at a steady rate with half
// of its requests streams longer than Docker's 10 s stop timeout, sees no refused connection,
// no failed request and no cut stream. Every container runs read-only without capabilities.
// The image's half of the installer's hand-over (test/installer/zero-downtime.test.ts: the whole).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { describeLoad, failedCount, Load, type LoadRequest } from '../vps/lib/load.ts';
import { configFrom, has, REQUIRE_E2E, requireArtifacts, run, unpack } from './artifacts.ts';

const { artifacts, skip: noArtifacts } = requireArtifacts();
const engine = has('docker') && run('docker', ['info', '--format', '{{.ServerVersion}}']).status === 0;
if (!engine && REQUIRE_E2E) {
  it('a Docker engine is reachable (REQUIRE_E2E=1)', () => assert.fail('docker info failed: start dockerd'));
}
const skip = noArtifacts || (!engine && 'no Docker engine reachable (docker info failed)');

const suffix = randomBytes(4).toString('hex');
const IMAGE = `aip-zd-test:${suffix}`;
const HOLDER = `aip-zd-holder-${suffix}`;
const proxyName = (instance: string) => `aip-zd-${instance}-${suffix}`;
const TOKEN = 't'.repeat(40);
/** one streamed event per word, every 500 ms: a 26-word answer streams for about 13 s */
const EVENT_DELAY_MS = 500;
const STREAM_WORDS = 26;
const HARDENED = [
  '--read-only',
  '--tmpfs',
  '/tmp:rw,noexec,nosuid,size=16m',
  '--security-opt',
  'no-new-privileges',
  '--cap-drop',
  'ALL',
  '--pids-limit',
  '128',
  '--init',
];

const execDocker = promisify(execFile);

/** Asynchronous: this process also serves the mock upstream and runs the load, never block it. */
async function docker(...args: string[]): Promise<string> {
  try {
    return (await execDocker('docker', args, { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
  } catch (error) {
    throw new Error(`docker ${args.join(' ')}: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
}

async function inspect(name: string): Promise<any> {
  return JSON.parse(await docker('inspect', name))[0];
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Which proxy answers /health/ready through the published port (a new connection each time). */
async function answeredBy(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { headers: { connection: 'close' } });
    await res.arrayBuffer();
    return res.headers.get('x-ai-proxy-instance') ?? undefined;
  } catch {
    return undefined;
  }
}

function startProxy(config: string, instance: string): Promise<string> {
  return docker(
    'run',
    '--detach',
    '--name',
    proxyName(instance),
    ...HARDENED,
    '--memory',
    '512m',
    '--network',
    `container:${HOLDER}`,
    '--env',
    'AI_PROXY_SHARED_NETWORK=1',
    '--env',
    `AI_PROXY_INSTANCE=${instance}`,
    // the image checks every 5 s after a 10 s start period: sooner here, as an installer would
    '--health-interval',
    '1s',
    '--health-start-period',
    '1s',
    '--volume',
    `${config}:/app/config:ro`,
    IMAGE,
  );
}

async function waitHealthy(name: string): Promise<void> {
  await until(`${name} healthy`, 60_000, async () => {
    const state = (await inspect(name)).State;
    if (!state.Running) throw new Error(`${name} exited ${state.ExitCode}: ${await docker('logs', name)}`);
    return state.Health?.Status === 'healthy' ? true : undefined;
  });
}

describe('the release image hands a shared port over without failing a client', { skip, timeout: 240_000 }, () => {
  let unpacked: string;
  let mock: MockUpstream;
  let port: number;
  let config: string;

  before(async () => {
    unpacked = await unpack(artifacts!.archive);
    const built = run('docker', ['build', '--quiet', '--tag', IMAGE, unpacked], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
    });
    assert.equal(built.status, 0, built.stderr);
    // the containers reach this process on the default bridge's gateway, this host's own address
    const gateway = await docker('network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Gateway}}');
    mock = await startOpenAIMock({ host: gateway, port: 0, record: false, eventDelayMs: EVENT_DELAY_MS });
    config = join(unpacked, 'config');
    configFrom(unpacked, config);
    writeFileSync(
      join(config, 'provider-config.yaml'),
      [
        'providers:',
        '  - name: slow',
        '    type: openai-compatible',
        `    base_url: http://${gateway}:${mock.port}/v1`,
        '    api_key: slow-upstream-key',
        '    models: [gpt-slow]',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    await docker(
      'run',
      '--detach',
      '--name',
      HOLDER,
      ...HARDENED,
      '--memory',
      '64m',
      '--sysctl',
      'net.ipv4.tcp_migrate_req=1',
      '--no-healthcheck',
      '--publish',
      '127.0.0.1::8080',
      IMAGE,
      'hold',
    );
    port = Number((await docker('port', HOLDER, '8080/tcp')).split(':').pop());
    await startProxy(config, 'old');
    await waitHealthy(proxyName('old'));
  });

  after(async () => {
    for (const name of [proxyName('old'), proxyName('new'), HOLDER]) run('docker', ['rm', '--force', name]);
    run('docker', ['image', 'rm', '--force', IMAGE]);
    await mock?.close();
    if (unpacked) rmSync(unpacked, { recursive: true, force: true });
  });

  it('holder and proxies: read-only, no capability, one namespace, the port and sysctl on the holder', async () => {
    const holder = await inspect(HOLDER);
    assert.equal(holder.HostConfig.Sysctls['net.ipv4.tcp_migrate_req'], '1');
    assert.ok(holder.HostConfig.PortBindings['8080/tcp'], 'the holder publishes the port');
    const proxy = await inspect(proxyName('old'));
    assert.equal(proxy.HostConfig.NetworkMode, `container:${holder.Id}`);
    assert.deepEqual(proxy.HostConfig.PortBindings ?? {}, {});
    for (const c of [holder, proxy]) {
      assert.equal(c.HostConfig.ReadonlyRootfs, true);
      assert.deepEqual(c.HostConfig.CapDrop, ['ALL']);
      assert.equal(c.HostConfig.CapAdd, null);
      assert.equal(c.HostConfig.Privileged, false);
      assert.equal(c.Config.User, '1001:1001');
    }
  });

  it('new proxy healthy and reached through the port, then the old one drains: nothing fails, no stream is cut', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const words = Array.from({ length: STREAM_WORDS }, (_, i) => `w${i}`).join(' ');
    const body = (stream: boolean, content: string) =>
      JSON.stringify({ model: 'slow/gpt-slow', stream, messages: [{ role: 'user', content }] });
    const mix: LoadRequest[] = [
      { method: 'POST', path: '/v1/chat/completions', headers, body: body(false, 'hello') },
      { method: 'POST', path: '/v1/chat/completions', headers, body: body(true, words), streamEnd: 'data: [DONE]' },
    ];
    const load = Load.start({ host: '127.0.0.1', port, ratePerSecond: 20, mix });
    await new Promise((r) => setTimeout(r, 3000));

    await startProxy(config, 'new');
    await waitHealthy(proxyName('new'));
    // the kernel spreads new connections over both listeners: see the new one answer once
    await until('the new proxy answering through the published port', 30_000, async () =>
      (await answeredBy(port)) === 'new' ? true : undefined,
    );
    const signalled = Date.now();
    await docker('kill', '--signal', 'TERM', proxyName('old'));
    const exit = Number(await docker('wait', proxyName('old')));
    const drainedInMs = Date.now() - signalled;
    await new Promise((r) => setTimeout(r, 2000));
    const report = await load.stop();

    const oldLog = await docker('logs', proxyName('old'));
    assert.equal(exit, 0, oldLog.slice(-2000));
    assert.match(oldLog, /"msg":"drained"/);
    assert.doesNotMatch(oldLog, /drain limit reached/);
    assert.equal(failedCount(report), 0, `${describeLoad(report)}: ${report.examples.join('; ')}`);
    assert.equal(report.streams.cut, 0);
    assert.ok(report.streams.finished > 20, `only ${report.streams.finished} streams finished`);
    assert.ok(report.streams.longestMs > 10_000, 'the streams outlast a 10 s stop timeout');
    for (let i = 0; i < 10; i++) assert.equal(await answeredBy(port), 'new');
    console.log(`hand-over under load: ${describeLoad(report)}; the old proxy drained in ${drainedInMs} ms`);
  });
});
