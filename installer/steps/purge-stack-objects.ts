// `--uninstall --purge` on a manager: every secret and config of the stack.
import { EXIT } from '../command/exit-codes.ts';
import type { Engine } from '../engine/engine.ts';
import { OBJECT_KINDS, OBJECT_PREFIX, STACK_FILTER } from '../engine/stack.ts';
import type { Step } from '../flows/step.ts';

export const purgeStackObjects: Step<{ engine: Engine }> = {
  title: "Removing the stack's secrets and configs (--purge)",
  exitCode: EXIT.engineUnavailable,
  when: (options) => options.purge,
  run: async (_run, _undo, { engine }) => {
    let removed = 0;
    for (const kind of OBJECT_KINDS) {
      for (const object of await engine.swarm.objects(kind, STACK_FILTER)) {
        if (object.name.startsWith(OBJECT_PREFIX) && (await engine.swarm.removeObject(kind, object.id))) removed++;
      }
    }
    return `${removed} secret${removed === 1 ? '' : 's'} and configs removed`;
  },
};
