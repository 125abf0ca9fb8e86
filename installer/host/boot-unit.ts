// The systemd unit that starts the holder, then the proxy, once the engine runs. At boot (and at
// each engine start) Docker starts every container with a restart policy at once, in no order; a
// proxy started before the holder whose network it joins fails and is never retried. The unit
// runs after the engine's own starts and repeats them in the right order; `docker start` is a
// no-op for a container that already runs. Pure: what the unit says and whether this host gets
// one; host/systemd.ts writes it and asks systemctl.
import type { EngineEndpoint } from '../engine/endpoint.ts';

/** The first line of every unit this installer writes: a file without it is the operator's. */
export const UNIT_MARKER = '# Written by the ai-proxy installer; removed by its --uninstall.';

export interface UnitNames {
  holder: string;
  container: string;
}

/** The engine sockets a system-wide `docker.service` serves (the CLI's default, with or without DOCKER_HOST). */
const DOCKER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];

/**
 * The unit's text. BindsTo= + After= docker.service: the unit is active only while the engine is,
 * so every stop of the engine (`systemctl restart docker`, a crash) deactivates it, and
 * WantedBy=docker.service starts it again with the engine. No ExecStop: stopping or disabling
 * the unit never stops the containers.
 */
export function unitText(cli: string, names: UnitNames): string {
  return [
    UNIT_MARKER,
    '[Unit]',
    `Description=Start ${names.holder}, then ${names.container} (which joins its network), after the Docker engine`,
    'After=docker.service',
    'BindsTo=docker.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=${cli} start ${names.holder}`,
    `ExecStart=${cli} start ${names.container}`,
    'TimeoutStartSec=180',
    '',
    '[Install]',
    'WantedBy=multi-user.target docker.service',
    '',
  ].join('\n');
}

/** The containers a unit starts, in order: its ExecStart lines' last words. */
export function unitStarts(text: string): string[] {
  return [...text.matchAll(/^ExecStart=\S+ start (\S+)\s*$/gm)].map((match) => match[1] ?? '');
}

/** What this host offers for a boot unit, found by host/systemd.ts. */
export interface BootHost {
  /** systemd is the init: /run/systemd/system exists and systemctl is on PATH. */
  systemd: boolean;
  /** docker.service is a unit systemd knows (LoadState=loaded). */
  dockerService: boolean;
  /** The absolute path of the `docker` CLI, when on PATH. */
  cli?: string;
  /** The unit file's content now, when there is one. */
  current?: string;
}

export type BootUnitPlan =
  | { kind: 'write'; path: string; text: string; replaces?: string }
  | { kind: 'kept'; path: string }
  | { kind: 'foreign'; path: string }
  | { kind: 'none'; reason: string };

/** The command an operator runs after a reboot when no unit does it. */
export function startByHand(names: UnitNames, cli = 'docker'): string {
  return `${cli} start ${names.holder} ${names.container}`;
}

/** Whether this host gets the unit, and what it becomes. */
export function planBootUnit(host: BootHost, endpoint: EngineEndpoint, path: string, names: UnitNames): BootUnitPlan {
  const socket = endpoint.options.socketPath;
  if (socket && /podman/.test(socket))
    // Podman has no engine service to order after, and no engine restart that stops containers;
    // its own boot start (podman-restart.service) only covers --restart=always.
    return { kind: 'none', reason: `Podman: after a reboot run ${startByHand(names, 'podman')}` };
  if (!host.systemd) return { kind: 'none', reason: `no systemd: after a reboot run ${startByHand(names)}` };
  if (!socket || !DOCKER_SOCKETS.includes(socket))
    return {
      kind: 'none',
      reason: `the engine at ${endpoint.description} is not docker.service's: after a reboot run ${startByHand(names)}`,
    };
  if (!host.dockerService || !host.cli)
    return {
      kind: 'none',
      reason: `${host.cli ? 'no docker.service' : 'no docker CLI on PATH'}: after a reboot run ${startByHand(names)}`,
    };
  if (host.current !== undefined && !host.current.startsWith(UNIT_MARKER)) return { kind: 'foreign', path };
  const text = unitText(host.cli, names);
  if (host.current === text) return { kind: 'kept', path };
  return { kind: 'write', path, text, ...(host.current !== undefined ? { replaces: host.current } : {}) };
}

/** What happens to the unit, for the plan and the step's progress line. */
export function describeBootUnit(plan: BootUnitPlan): string {
  switch (plan.kind) {
    case 'write':
      return `${plan.path} ${plan.replaces === undefined ? 'created' : 'updated'} and enabled`;
    case 'kept':
      return `${plan.path} already in place`;
    case 'foreign':
      return `${plan.path} is not the installer's (no marker line): left as it is; it must start the holder first`;
    case 'none':
      return plan.reason;
  }
}
