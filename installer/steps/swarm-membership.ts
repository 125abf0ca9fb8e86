// Joining and leaving. A failed join is undone on the spot (a node the engine left "pending"
// is made to leave), so a refused token or a manager that stops answering leaves the node
// exactly as it was.
import { EXIT } from '../command/exit-codes.ts';
import { poll } from '../engine/poll.ts';
import { InstallError } from '../command/errors.ts';
import { engineMessage } from '../engine/calls.ts';
import { SERVICE } from '../engine/stack.ts';
import type { Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

/** Pure: which exit code a join failure deserves (2: the manager refused us; 5: we could not talk). */
export function joinFailureCode(message: string): typeof EXIT.usage | typeof EXIT.engineUnavailable {
  return /token|fingerprint|not authorized|permission denied|certificate/i.test(message) &&
    !/deadline|timeout|unavailable|connection refused/i.test(message)
    ? EXIT.usage
    : EXIT.engineUnavailable;
}

export const joinSwarm: Step = {
  title: (state) => `Joining the swarm managed by ${state.options.swarm?.manager} as a worker`,
  exitCode: EXIT.engineUnavailable,
  async run(state, undo) {
    const swarm = need(state.swarm, 'swarm');
    const { manager, token } = need(state.options.swarm, 'swarm options') as { manager: string; token: string };
    if (swarm.membership.state === 'active') return 'already a member';
    try {
      await swarm.engine.join(manager, token, state.signal);
    } catch (error) {
      const message = engineMessage(error);
      const after = await swarm.engine.membership().catch(() => undefined);
      if (after && after.state !== 'inactive') await swarm.engine.leave(true).catch(() => undefined);
      if (state.signal.aborted) throw error;
      const code = joinFailureCode(message);
      throw new InstallError(
        code,
        `${code === EXIT.usage ? 'the manager refused to let this node join' : `could not join the swarm at ${manager}`}: ${message.split('\n')[0]}`,
        code === EXIT.usage
          ? 'this node was left unchanged; get the current token on the manager: docker swarm join-token worker'
          : 'this node was left unchanged; check that the manager runs and that TCP 2377, 7946 and UDP 4789, 7946 are open between the VPSes',
      );
    }
    undo({ label: 'leave the swarm this run joined', run: () => swarm.engine.leave(true) });
    swarm.membership = await swarm.engine.membership();
    return `joined as worker ${swarm.membership.nodeId.slice(0, 12)} (${swarm.membership.nodeAddr})`;
  },
};

/** After a join: the manager places a task here (global mode); say whether it came up, do not fail on it. */
export const watchLocalTask: Step = {
  title: 'Waiting for the manager to start a task on this node',
  exitCode: EXIT.internal,
  commits: true,
  async run(state) {
    const engine = need(state.engine, 'engine');
    const healthy = await poll(
      async () => {
        for (const task of await engine.containers.ofService(SERVICE)) {
          const inspected = await engine.containers.inspect(task.id);
          if (inspected?.running && inspected.health === 'healthy') return task.name;
        }
        return undefined;
      },
      { timeoutMs: state.options.healthTimeout * 1000, signal: state.signal, delayMs: 1000 },
    );
    if (healthy) return `${healthy} is running and healthy here`;
    state.progress.warn(
      `no healthy task of ${SERVICE} on this node yet: with --replicas the manager may place none here; check on the manager: docker service ps ${SERVICE}`,
    );
    return 'no task here yet';
  },
};

export const leaveSwarm: Step = {
  title: 'Leaving the swarm',
  exitCode: EXIT.engineUnavailable,
  async run(state) {
    const swarm = need(state.swarm, 'swarm');
    if (swarm.membership.state === 'inactive') return 'this node is not in a swarm: nothing to do';
    if (swarm.membership.manager && !state.options.force) {
      throw new InstallError(
        EXIT.usage,
        `this node is a swarm manager${swarm.service ? ` running ${SERVICE}` : ''}: leaving ${swarm.nodes && swarm.nodes.filter((n) => n.role === 'manager').length <= 1 ? 'ends the swarm (its services, secrets and configs are lost)' : 'lowers the number of managers'}`,
        'to do it anyway: sudo ./installer.sh --swarm leave --force; consider --uninstall first',
      );
    }
    try {
      await swarm.engine.leave(swarm.membership.manager);
    } catch (error) {
      throw new InstallError(
        EXIT.engineUnavailable,
        `could not leave the swarm: ${engineMessage(error)}`,
        `see ${state.log.path}`,
      );
    }
    return `left; the image stays (remove it with --uninstall)`;
  },
};

export const removeStack: Step = {
  title: `Removing the stack ai-proxy (service ${SERVICE})`,
  exitCode: EXIT.engineUnavailable,
  async run(state) {
    const swarm = need(state.swarm, 'swarm');
    const removed = await swarm.engine.removeService(SERVICE);
    // The local task's container must be gone before its image can be removed.
    const containers = need(state.engine, 'engine').containers;
    await poll(async () => ((await containers.ofService(SERVICE)).length === 0 ? true : undefined), {
      timeoutMs: 30_000,
      signal: state.signal,
    });
    return removed ? 'removed (each node stops its task)' : 'no service deployed';
  },
};
