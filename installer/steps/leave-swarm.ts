// `--swarm leave`: this node leaves its swarm. A manager leaves only with --force (it may end the
// swarm); the image stays until --uninstall.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { engineMessage } from '../engine/calls.ts';
import type { Engine } from '../engine/engine.ts';
import { SERVICE } from '../engine/stack.ts';
import type { Step } from '../flows/step.ts';
import type { SwarmPlace } from './swarm-role.ts';

export const leaveSwarm: Step<{ engine: Engine } & SwarmPlace> = {
  title: 'Leaving the swarm',
  exitCode: EXIT.engineUnavailable,
  run: async (run, _undo, { engine, membership, service, nodes }) => {
    if (membership.state === 'inactive') return 'this node is not in a swarm: nothing to do';
    if (membership.manager && !run.options.force) {
      throw new InstallError(
        EXIT.usage,
        `this node is a swarm manager${service ? ` running ${SERVICE}` : ''}: leaving ${nodes && nodes.filter((n) => n.role === 'manager').length <= 1 ? 'ends the swarm (its services, secrets and configs are lost)' : 'lowers the number of managers'}`,
        'to do it anyway: sudo ./installer.sh --swarm leave --force; consider --uninstall first',
      );
    }
    try {
      await engine.swarm.leave(membership.manager);
    } catch (error) {
      throw new InstallError(
        EXIT.engineUnavailable,
        `could not leave the swarm: ${engineMessage(error)}`,
        `see ${run.log.path}`,
      );
    }
    return `left; the image stays (remove it with --uninstall)`;
  },
};
