// Create the swarm on this node (--swarm init on a node that is in none); undone by leaving it.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { engineMessage } from '../engine/calls.ts';
import type { Engine } from '../engine/engine.ts';
import type { NodeView, SwarmMembership } from '../engine/swarm.ts';
import type { Step } from '../flows/step.ts';

export const swarmInit: Step<
  { engine: Engine; membership: SwarmMembership },
  { membership: SwarmMembership; nodes?: NodeView[] }
> = {
  title: 'Creating the swarm on this node',
  exitCode: EXIT.engineUnavailable,
  run: async (run, undo, { engine, membership }) => {
    const { swarm } = engine;
    if (membership.state === 'active') return { detail: 'already a manager: using its swarm', value: { membership } };
    try {
      await swarm.init(run.options.swarm?.advertiseAddr);
    } catch (error) {
      const message = engineMessage(error);
      if (/advertise|multiple addresses|listen-addr/i.test(message)) {
        throw new InstallError(
          EXIT.usage,
          `Docker cannot choose this node's swarm address: ${message.split('\n')[0]}`,
          'pass the address the other VPSes reach this one on: --advertise-addr IP',
        );
      }
      throw new InstallError(EXIT.engineUnavailable, `could not create the swarm: ${message}`, `see ${run.log.path}`);
    }
    undo({ label: 'leave the swarm this run created', run: () => swarm.leave(true) });
    const created = await swarm.membership();
    return {
      detail: `manager at ${created.nodeAddr}:2377`,
      value: { membership: created, nodes: await swarm.nodes() },
    };
  },
};
