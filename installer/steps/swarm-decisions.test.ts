import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { parseOptions } from '../command/args.ts';
import { InstallError } from '../command/errors.ts';
import { normalizeManager } from '../command/swarm-args.ts';
import { judgeImageTasks } from './image-check.ts';
import { judgeRollout, lastTaskError } from './wait-converged.ts';
import { joinFailureCode } from './join-swarm.ts';
import { readHardening } from '../engine/hardening-readback.ts';
import type { NodeView, ServiceView, TaskView } from '../engine/swarm.ts';

const TOKEN = `SWMTKN-1-${'a1'.repeat(25)}-${'b'.repeat(25)}`;
const code = (argv: string[], env: NodeJS.ProcessEnv = {}): number | undefined => {
  try {
    parseOptions(argv, env);
  } catch (error) {
    return error instanceof InstallError ? error.exitCode : -1;
  }
  return undefined;
};

const ENV = { AI_PROXY_SWARM_TOKEN: TOKEN };

test('the join token is read from --token-file or the environment, never taken from the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aip-inst-token-'));
  try {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    const fromFile = parseOptions(['--swarm', 'join', '--manager', '10.0.0.2', '--token-file', file], {});
    assert.equal(fromFile.swarm?.token, TOKEN);
    for (const argv of [
      ['--swarm', 'join', '--manager', '10.0.0.2', '--token', TOKEN],
      ['--swarm', 'join', '--manager', '10.0.0.2', `--token=${TOKEN}`],
    ]) {
      try {
        parseOptions(argv, {});
        assert.fail('a token on the command line was accepted');
      } catch (error) {
        assert.ok(error instanceof InstallError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /visible to every user of this host/);
        assert.match(error.hint ?? '', /--token-file -/);
        assert.doesNotMatch(`${error.message} ${error.hint}`, /SWMTKN-1-a1/, 'the token is not repeated');
      }
    }
    const missing = join(dir, 'absent');
    assert.equal(code(['--swarm', 'join', '--manager', '10.0.0.2', '--token-file', missing]), 2);
    assert.equal(code(['--swarm', 'init', '--token-file', file]), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--swarm flags parse, and bad combinations exit 2 before anything runs', () => {
  const joining = parseOptions(['--swarm', 'join', '--manager', '10.0.0.2'], ENV);
  assert.deepEqual(joining.swarm, { mode: 'join', manager: '10.0.0.2:2377', token: TOKEN });
  assert.deepEqual(
    parseOptions(['--swarm', 'init', '--replicas', '3', '--advertise-addr', '10.0.0.2', '--port', '9000'], {}).swarm,
    { mode: 'init', replicas: 3, advertiseAddr: '10.0.0.2' },
  );
  assert.equal(
    parseOptions(['--swarm', 'join', '--manager', 'm1:2400'], { AI_PROXY_SWARM_TOKEN: TOKEN }).swarm?.token,
    TOKEN,
  );
  assert.equal(parseOptions([], {}).swarm, undefined);
  assert.equal(code(['--swarm', 'start']), 2);
  assert.equal(code(['--swarm', 'join', '--manager', '10.0.0.2']), 2);
  assert.equal(code(['--swarm', 'join', '--manager', '10.0.0.2'], { AI_PROXY_SWARM_TOKEN: 'SWMTKN-1-short' }), 2);
  assert.equal(code(['--swarm', 'join', '--manager', 'bad host'], ENV), 2);
  assert.equal(code(['--swarm', 'join', '--manager', 'm', '--port', '80'], ENV), 2);
  assert.equal(code(['--swarm', 'init', '--bind', '127.0.0.1']), 2);
  assert.equal(code(['--swarm', 'init', '--token', TOKEN]), 2);
  assert.equal(code(['--swarm', 'leave', '--replicas', '2']), 2);
  assert.equal(code(['--swarm', 'init', '--replicas', '0']), 2);
  assert.equal(code(['--replicas', '2']), 2);
  assert.equal(code(['--uninstall', '--swarm', 'init']), 2);
  assert.equal(normalizeManager('[fd00::2]:2377'), '[fd00::2]:2377');
  assert.equal(normalizeManager('fd00::2'), '[fd00::2]:2377');
  assert.equal(normalizeManager('10.0.0.2:99999'), undefined);
});

const node = (id: string, state = 'ready', availability = 'active'): NodeView => ({
  id,
  hostname: `host-${id}`,
  role: 'worker',
  state,
  availability,
  addr: '',
});
const task = (over: Partial<TaskView>): TaskView => ({
  id: 't',
  nodeId: 'n1',
  state: 'running',
  desired: 'running',
  error: '',
  message: '',
  image: 'ai-proxy:2',
  createdAt: '2026-11-23T21:00:00Z',
  ...over,
});

test('the image check names the nodes whose task found no image, and the ones it could not ask', () => {
  const verdict = judgeImageTasks(
    [node('n1'), node('n2'), node('n3', 'down')],
    [
      task({ nodeId: 'n1', state: 'complete' }),
      task({ nodeId: 'n2', state: 'rejected', error: 'No such image: ai-proxy:2' }),
      // Swarm replaces a rejected job task at once: the newest one is pending again.
      task({ nodeId: 'n2', state: 'pending', createdAt: '2026-11-23T21:00:01Z' }),
    ],
  );
  assert.deepEqual(verdict, {
    has: ['host-n1'],
    lacking: [{ node: 'host-n2', error: 'No such image: ai-proxy:2' }],
    unknown: ['host-n3'],
  });
});

test('a rollout is done when Swarm completed it and every task runs the new image; a rollback is a failure with the task error', () => {
  const service = (updateState?: string): ServiceView => ({
    id: 's',
    version: 3,
    spec: {},
    ...(updateState ? { updateState, updateCompletedAt: '2026-11-23T21:10:00Z' } : {}),
  });
  const since = '2026-11-23T21:05:00Z';
  const two = [task({ nodeId: 'n1' }), task({ nodeId: 'n2' })];
  assert.equal(judgeRollout(service('updating'), two, 2, 'ai-proxy:2', false, since).done, false);
  assert.equal(judgeRollout(service('completed'), two, 2, 'ai-proxy:2', false, since).done, true);
  assert.equal(
    judgeRollout(service('completed'), two, 2, 'ai-proxy:2', false, '2026-11-23T21:20:00Z').done,
    false,
    'an older completed update is not this one',
  );
  assert.equal(
    judgeRollout(
      service('completed'),
      [two[0]!, task({ nodeId: 'n2', image: 'ai-proxy:1' })],
      2,
      'ai-proxy:2',
      false,
      since,
    ).done,
    false,
  );
  const failed = task({
    nodeId: 'n2',
    state: 'failed',
    desired: 'shutdown',
    error: 'task: non-zero exit (1)',
    createdAt: '2026-11-23T21:09:00Z',
  });
  const rolled = judgeRollout(service('rollback_completed'), [...two, failed], 2, 'ai-proxy:2', false, since);
  assert.equal(rolled.done, true);
  assert.match(rolled.failure ?? '', /rolled back the update: task: non-zero exit \(1\)/);
  // a task an earlier update left failed is not this update's cause
  const earlier = task({ nodeId: 'n3', state: 'failed', error: 'port 9191 in use', createdAt: '2026-11-23T21:01:00Z' });
  const named = judgeRollout(
    { ...service('rollback_completed'), updateMessage: 'update rolled back due to failure' },
    [...two, earlier],
    2,
    'ai-proxy:2',
    false,
    since,
  );
  assert.match(named.failure ?? '', /rolled back the update: update rolled back due to failure$/);
  assert.equal(judgeRollout(service(), two, 2, 'ai-proxy:2', true).done, true, 'a new service has no update status');
  assert.match(
    judgeRollout(service(), [failed, { ...failed, id: 'x' }], 1, 'ai-proxy:2', true).failure ?? '',
    /keep failing/,
  );
  const stale = task({ nodeId: 'down', image: 'ai-proxy:1' });
  assert.equal(
    judgeRollout(service('completed'), [...two, stale], 2, 'ai-proxy:2', false, since, new Set(['n1', 'n2'])).done,
    true,
    "a down node's stale task does not block",
  );
  assert.equal(lastTaskError([]), undefined);
});

test('a refused join token exits 2, a manager that does not answer exits 5', () => {
  assert.equal(
    joinFailureCode('rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster'),
    2,
  );
  assert.equal(joinFailureCode('error while validating Root CA Certificate: remote CA does not match fingerprint'), 2);
  assert.equal(
    joinFailureCode(
      'Timeout was reached before node joined. The attempt to join the swarm will continue in the background.',
    ),
    5,
  );
  assert.equal(joinFailureCode('rpc error: code = Unavailable desc = connection error'), 5);
});

test('the hardening report reads the container and never claims no-new-privileges it did not get', () => {
  const container = {
    Config: { User: '1001:1001', Healthcheck: { Test: ['CMD', '/app/ai-proxy', 'healthcheck'] } },
    HostConfig: {
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      Memory: 536870912,
      NanoCpus: 500000000,
      PidsLimit: 256,
      Init: true,
      Privileged: false,
      SecurityOpt: null,
      Mounts: [{ Type: 'tmpfs', Target: '/tmp' }],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  } as never;
  const report = readHardening(container, true);
  assert.equal(report.notApplied.length, 1);
  assert.match(report.notApplied[0]!, /^no-new-privileges .*no capabilities.*setuid/);
  assert.ok(report.applied.includes('read-only root filesystem'));
  const weaker = readHardening(
    {
      ...(container as object),
      HostConfig: { ...(container as any).HostConfig, ReadonlyRootfs: false, CapDrop: [] },
    } as never,
    false,
  );
  assert.ok(weaker.notApplied.includes('read-only root filesystem'));
  assert.ok(weaker.notApplied.includes('all capabilities dropped'));
});
