// After a successful update the secrets and configs no longer referenced are removed; after a
// rollback they stay, because the restored tasks use them.
import { EXIT } from '../command/exit-codes.ts';
import type { SwarmConfig } from '../config-files/swarm-config.ts';
import { engineMessage } from '../engine/calls.ts';
import type { Engine } from '../engine/engine.ts';
import { OBJECT_KINDS, STACK_FILTER, staleObjects } from '../engine/stack.ts';
import type { Step } from '../flows/step.ts';

export const removeStaleObjects: Step<{ engine: Engine; swarmConfig: SwarmConfig }> = {
  title: 'Removing secrets and configs the service no longer uses',
  exitCode: EXIT.internal,
  // The update converged: from here on nothing is rolled back.
  commits: true,
  run: async (run, _undo, { engine, swarmConfig }) => {
    const { swarm } = engine;
    const wanted = [...swarmConfig.secrets.map((s) => s.name), swarmConfig.provider.name];
    let removed = 0;
    let kept = 0;
    try {
      for (const kind of OBJECT_KINDS) {
        for (const object of await swarm.objects(kind, STACK_FILTER)) {
          if (!staleObjects([object.name], wanted).length) continue;
          if (await swarm.removeObject(kind, object.id)) removed++;
          else kept++;
        }
      }
    } catch (error) {
      // The service runs; a leftover secret is untidy, not broken: say so and finish.
      run.progress.warn(`could not remove old secrets/configs: ${engineMessage(error)}`);
      return 'left some behind (see the warning)';
    }
    return `${removed} removed${kept ? `, ${kept} still in use kept` : ''}`;
  },
};
