// After a join: the manager places a task here (global mode); say whether it came up healthy,
// never fail on it (with --replicas the manager may place none here). The join is done: from
// here on nothing is rolled back.
import { EXIT } from '../command/exit-codes.ts';
import type { Engine } from '../engine/engine.ts';
import { poll } from '../engine/poll.ts';
import { SERVICE } from '../engine/stack.ts';
import type { Step } from '../flows/step.ts';

export const watchLocalTask: Step<{ engine: Engine }> = {
  title: 'Waiting for the manager to start a task on this node',
  exitCode: EXIT.internal,
  commits: true,
  run: async (run, _undo, { engine }) => {
    const healthy = await poll(
      async () => {
        for (const task of await engine.containers.ofService(SERVICE)) {
          const inspected = await engine.containers.inspect(task.id);
          if (inspected?.running && inspected.health === 'healthy') return task.name;
        }
        return undefined;
      },
      { timeoutMs: run.options.healthTimeout * 1000, signal: run.signal, delayMs: 1000 },
    );
    if (healthy) return `${healthy} is running and healthy here`;
    run.progress.warn(
      `no healthy task of ${SERVICE} on this node yet: with --replicas the manager may place none here; check on the manager: docker service ps ${SERVICE}`,
    );
    return 'no task here yet';
  },
};
