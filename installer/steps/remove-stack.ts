// `--uninstall` on a manager running the stack: remove the service; each node stops its task.
import { EXIT } from '../command/exit-codes.ts';
import type { Engine } from '../engine/engine.ts';
import { poll } from '../engine/poll.ts';
import { SERVICE } from '../engine/stack.ts';
import type { Step } from '../flows/step.ts';

export const removeStack: Step<{ engine: Engine }> = {
  title: `Removing the stack ai-proxy (service ${SERVICE})`,
  exitCode: EXIT.engineUnavailable,
  run: async (run, _undo, { engine }) => {
    const removed = await engine.swarm.removeService(SERVICE);
    // The local task's container must be gone before its image can be removed.
    await poll(async () => ((await engine.containers.ofService(SERVICE)).length === 0 ? true : undefined), {
      timeoutMs: 30_000,
      signal: run.signal,
    });
    return removed ? 'removed (each node stops its task)' : 'no service deployed';
  },
};
