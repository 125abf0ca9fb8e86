// Where this node stands in a swarm, and whether the asked mode makes sense there. Every
// refusal happens here, before the archive is even read: nothing is changed.
import { connect } from 'node:net';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { SERVICE } from '../engine/stack.ts';
import { SWARM_MIN_API, swarmSupported } from '../engine/service-spec.ts';
import type { RunState, Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

function describe(state: RunState): string {
  const m = need(state.swarm, 'swarm').membership;
  if (m.state === 'inactive') return 'not in a swarm';
  return `${m.manager ? 'manager' : 'worker'} of swarm ${m.clusterId?.slice(0, 12) ?? '(cluster id known to managers only)'}${m.nodes ? `, ${m.nodes} nodes` : ''}`;
}

/** TCP reachability of the manager's swarm port, so an unreachable manager costs seconds and changes nothing. */
export function reachable(address: string, timeoutMs: number): Promise<string | undefined> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

export const swarmRole: Step = {
  title: "Checking this node's place in the swarm",
  exitCode: EXIT.engineUnavailable,
  async run(state) {
    const engine = need(state.engine, 'engine');
    if (!swarmSupported(engine.info.apiVersion)) {
      throw new InstallError(
        EXIT.engineUnavailable,
        `Swarm mode needs Docker API ${SWARM_MIN_API} or newer; this engine speaks ${engine.info.apiVersion}`,
        'upgrade Docker to 20.10 or newer: Debian 11, 12 and 13 ship it',
      );
    }
    const swarm = engine.swarm;
    const membership = await swarm.membership();
    const litter = await engine.containers.removeFinished('ai-proxy-image-check-');
    if (litter) state.log.line(`removed ${litter} finished image-check containers of earlier runs`);
    state.swarm = { engine: swarm, membership };
    const mode = need(state.options.swarm, 'swarm options').mode;
    if (membership.state === 'locked')
      throw new InstallError(
        EXIT.engineUnavailable,
        "this node's swarm is locked (autolock)",
        'unlock it first: docker swarm unlock',
      );
    if (membership.state === 'pending' || membership.state === 'error') {
      throw new InstallError(
        EXIT.engineUnavailable,
        `this node's swarm membership is "${membership.state}"`,
        'fix it first: see docker info; a failed join is undone with docker swarm leave --force',
      );
    }
    const active = membership.state === 'active';
    if (mode === 'init') {
      if (active && !membership.manager) {
        throw new InstallError(
          EXIT.usage,
          'this node is a swarm worker: --swarm init runs on a manager',
          'run it on the manager, where docker node ls works; on this worker, --swarm upgrade places a new image',
        );
      }
      const single = await engine.containers.inspect(state.ctx.names.container);
      if (single) {
        throw new InstallError(
          EXIT.portInUse,
          `the single-VPS container "${single.name}" is installed here${single.publishedPort ? ` on port ${single.publishedPort}` : ''}`,
          'remove it first with sudo ./installer.sh --uninstall: it keeps /srv/ai-proxy, whose token and providers --swarm init then reuses',
        );
      }
    }
    if (mode === 'upgrade' && !active)
      throw new InstallError(
        EXIT.usage,
        'this node is not in a swarm: nothing to upgrade',
        'start with --swarm init on the first VPS',
      );
    if (mode === 'join') {
      const manager = need(state.options.swarm?.manager, 'manager');
      if (active) {
        if (membership.manager || !membership.remoteManagers.includes(manager)) {
          const where = membership.manager
            ? 'is a manager of its own swarm'
            : `already belongs to a swarm managed by ${membership.remoteManagers.join(', ') || 'another node'}`;
          throw new InstallError(
            EXIT.usage,
            `this node ${where}`,
            'leave it first with --swarm leave, plus --force on a manager, then join',
          );
        }
        state.progress.info(
          `This node is already a worker of the swarm managed by ${manager}: only the image is built.`,
        );
      } else {
        const problem = await reachable(manager, 5000);
        if (problem)
          throw new InstallError(
            EXIT.engineUnavailable,
            `cannot reach the swarm manager at ${manager} (${problem})`,
            'check the address, that the manager runs, and that TCP 2377, 7946 and UDP 4789, 7946 are open between the VPSes',
          );
      }
    }
    if (membership.manager) {
      state.swarm.service = await swarm.service(SERVICE);
      state.swarm.nodes = await swarm.nodes();
    }
    return describe(state);
  },
};
