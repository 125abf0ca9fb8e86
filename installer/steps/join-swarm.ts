// Join a swarm as a worker. A failed join is undone on the spot (a node the engine left
// "pending" is made to leave), so a refused token or a manager that stops answering leaves the
// node exactly as it was.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { engineMessage } from '../engine/calls.ts';
import type { Engine } from '../engine/engine.ts';
import type { SwarmMembership } from '../engine/swarm.ts';
import type { Step } from '../flows/step.ts';

/** Pure: which exit code a join failure deserves (2: the manager refused us; 5: we could not talk). */
export function joinFailureCode(message: string): typeof EXIT.usage | typeof EXIT.engineUnavailable {
  return /token|fingerprint|not authorized|permission denied|certificate/i.test(message) &&
    !/deadline|timeout|unavailable|connection refused/i.test(message)
    ? EXIT.usage
    : EXIT.engineUnavailable;
}

export const joinSwarm: Step<{ engine: Engine; membership: SwarmMembership }, { membership: SwarmMembership }> = {
  title: (run) => `Joining the swarm managed by ${run.options.swarm?.manager} as a worker`,
  exitCode: EXIT.engineUnavailable,
  run: async (run, undo, { engine, membership }) => {
    const { swarm } = engine;
    const manager = run.options.swarm?.manager ?? '';
    const token = run.options.swarm?.token ?? '';
    if (membership.state === 'active') return { detail: 'already a member', value: { membership } };
    try {
      await swarm.join(manager, token, run.signal);
    } catch (error) {
      const message = engineMessage(error);
      const after = await swarm.membership().catch(() => undefined);
      if (after && after.state !== 'inactive') await swarm.leave(true).catch(() => undefined);
      if (run.signal.aborted) throw error;
      const code = joinFailureCode(message);
      throw new InstallError(
        code,
        `${code === EXIT.usage ? 'the manager refused to let this node join' : `could not join the swarm at ${manager}`}: ${message.split('\n')[0]}`,
        code === EXIT.usage
          ? 'this node was left unchanged; get the current token on the manager: docker swarm join-token worker'
          : 'this node was left unchanged; check that the manager runs and that TCP 2377, 7946 and UDP 4789, 7946 are open between the VPSes',
      );
    }
    undo({ label: 'leave the swarm this run joined', run: () => swarm.leave(true) });
    const joined = await swarm.membership();
    return {
      detail: `joined as worker ${joined.nodeId.slice(0, 12)} (${joined.nodeAddr})`,
      value: { membership: joined },
    };
  },
};
