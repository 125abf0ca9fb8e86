import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeBootUnit, planBootUnit, UNIT_MARKER, unitStarts, unitText, type BootHost } from './boot-unit.ts';
import type { EngineEndpoint } from '../engine/endpoint.ts';

const names = { holder: 'ai-proxy-holder', container: 'ai-proxy' };
const path = '/etc/systemd/system/ai-proxy.service';
const docker: EngineEndpoint = { description: '/var/run/docker.sock', options: { socketPath: '/var/run/docker.sock' } };
const systemdHost: BootHost = { systemd: true, dockerService: true, cli: '/usr/bin/docker' };

/** The directives of one section of a unit, as `key=value` lines in order. */
function section(text: string, name: string): string[] {
  const start = text.split('\n').indexOf(`[${name}]`);
  assert.ok(start >= 0, `the unit has a [${name}] section`);
  const rest = text.split('\n').slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('['));
  return rest.slice(0, end < 0 ? undefined : end).filter((line) => line && !line.startsWith('#'));
}

test('the unit starts the holder, then the proxy, with the absolute CLI, once the engine runs', () => {
  const text = unitText('/usr/bin/docker', names);
  assert.ok(text.startsWith(`${UNIT_MARKER}\n`), 'the marker is the first line: uninstall removes only such a unit');
  assert.deepEqual(
    section(text, 'Service').filter((line) => line.startsWith('ExecStart=')),
    ['ExecStart=/usr/bin/docker start ai-proxy-holder', 'ExecStart=/usr/bin/docker start ai-proxy'],
    'holder first: the proxy joins its network namespace',
  );
  assert.deepEqual(unitStarts(text), ['ai-proxy-holder', 'ai-proxy']);
  const unit = section(text, 'Unit');
  assert.ok(unit.includes('After=docker.service'), 'ordered after the engine, whose own starts come first');
  assert.ok(unit.includes('BindsTo=docker.service'), 'deactivated with the engine, so its next start runs it again');
  const service = section(text, 'Service');
  assert.ok(service.includes('Type=oneshot') && service.includes('RemainAfterExit=yes'));
  assert.ok(
    !service.some((line) => /^Exec(Stop|Reload)/.test(line)),
    'stopping the unit must never stop the containers',
  );
  assert.deepEqual(section(text, 'Install'), ['WantedBy=multi-user.target docker.service']);
});

test('a systemd host with docker.service gets the unit; a re-run with the same unit keeps it', () => {
  const plan = planBootUnit(systemdHost, docker, path, names);
  assert.equal(plan.kind, 'write');
  assert.equal(describeBootUnit(plan), `${path} created and enabled`);
  const text = plan.kind === 'write' ? plan.text : '';
  assert.deepEqual(planBootUnit({ ...systemdHost, current: text }, docker, path, names), { kind: 'kept', path });
  const older = `${UNIT_MARKER}\n[Service]\nExecStart=/usr/local/bin/docker start ai-proxy\n`;
  const update = planBootUnit({ ...systemdHost, current: older }, docker, path, names);
  assert.deepEqual(update, { kind: 'write', path, text, replaces: older }, 'an older unit of ours is replaced');
  assert.equal(describeBootUnit(update), `${path} updated and enabled`);
});

test("a unit file without the marker is the operator's and is left alone", () => {
  const mine = '[Service]\nExecStart=/usr/bin/docker start ai-proxy-holder ai-proxy\n';
  assert.deepEqual(planBootUnit({ ...systemdHost, current: mine }, docker, path, names), { kind: 'foreign', path });
});

test('no unit, and the command to run after a reboot, where systemd or docker.service cannot do it', () => {
  const reason = (host: BootHost, endpoint = docker) => {
    const plan = planBootUnit(host, endpoint, path, names);
    assert.equal(plan.kind, 'none');
    return describeBootUnit(plan);
  };
  assert.equal(
    reason({ ...systemdHost, systemd: false }),
    'no systemd: after a reboot run docker start ai-proxy-holder ai-proxy',
  );
  assert.match(
    reason({ ...systemdHost, dockerService: false }),
    /^no docker\.service: .*docker start ai-proxy-holder ai-proxy$/,
  );
  assert.match(reason({ systemd: true, dockerService: true }), /^no docker CLI on PATH/);
  const podman = { description: '/run/podman/podman.sock', options: { socketPath: '/run/podman/podman.sock' } };
  assert.equal(reason(systemdHost, podman), 'Podman: after a reboot run podman start ai-proxy-holder ai-proxy');
  const remote = { description: 'tcp://10.0.0.5:2375', options: { host: '10.0.0.5', port: 2375 } };
  assert.match(reason(systemdHost, remote), /^the engine at tcp:\/\/10\.0\.0\.5:2375 is not docker\.service's/);
});
