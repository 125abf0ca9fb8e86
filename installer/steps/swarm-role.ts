// Where this node stands in a swarm, and whether the asked mode makes sense there. Every
// refusal happens here, before the archive is even read: nothing is changed.
import { EXIT } from '../command/exit-codes.ts';
import { reachable } from '../host/probes.ts';
import { InstallError } from '../command/errors.ts';
import { SERVICE } from '../engine/stack.ts';
import { SWARM_MIN_API, swarmSupported } from '../engine/service-spec.ts';
import type { Engine } from '../engine/engine.ts';
import type { NodeView, ServiceView, SwarmMembership } from '../engine/swarm.ts';
import type { Step } from '../flows/step.ts';
import { IMAGE_CHECK_PREFIX } from './image-check.ts';

/** Where this node stands: what the swarm steps after this one start from. */
export interface SwarmPlace {
  membership: SwarmMembership;
  /** The service before this run (undefined: not deployed yet); known on a manager only. */
  service?: ServiceView;
  nodes?: NodeView[];
}

function describe(m: SwarmMembership): string {
  if (m.state === 'inactive') return 'not in a swarm';
  return `${m.manager ? 'manager' : 'worker'} of swarm ${m.clusterId?.slice(0, 12) ?? '(cluster id known to managers only)'}${m.nodes ? `, ${m.nodes} nodes` : ''}`;
}

export const swarmRole: Step<{ engine: Engine }, SwarmPlace> = {
  title: "Checking this node's place in the swarm",
  exitCode: EXIT.engineUnavailable,
  run: async (run, _undo, { engine }) => {
    if (!swarmSupported(engine.info.apiVersion)) {
      throw new InstallError(
        EXIT.engineUnavailable,
        `Swarm mode needs Docker API ${SWARM_MIN_API} or newer; this engine speaks ${engine.info.apiVersion}`,
        'upgrade Docker to 20.10 or newer: Debian 11, 12 and 13 ship it',
      );
    }
    const swarm = engine.swarm;
    const membership = await swarm.membership();
    const litter = await engine.containers.removeFinished(IMAGE_CHECK_PREFIX);
    if (litter) run.log.line(`removed ${litter} finished image-check containers of earlier runs`);
    const options = run.options.swarm;
    if (!options) throw new Error('the swarm role step runs with --swarm only');
    const mode = options.mode;
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
      const single = await engine.containers.inspect(run.ctx.names.container);
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
      const manager = options.manager ?? '';
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
        run.progress.info(`This node is already a worker of the swarm managed by ${manager}: only the image is built.`);
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
    const place: SwarmPlace = { membership };
    if (membership.manager) {
      const service = await swarm.service(SERVICE);
      if (service) place.service = service;
      place.nodes = await swarm.nodes();
    }
    return { detail: describe(membership), value: place };
  },
};
