// With --drain-timeout: after the hand-over, wait until the old proxy has finished what it
// started and exited, showing its drain reports (what it still finishes) as they come. The new
// proxy already serves, so nothing here can fail the installation: a drain that outlasts the
// wait is a warning, and the old container is removed by the clean-up once it has exited (or by
// the next run).
import { DRAIN_MESSAGES } from '../../src/cli/drain-log.ts';
import { EXIT } from '../command/exit-codes.ts';
import { drainingName } from '../context.ts';
import type { Engine } from '../engine/engine.ts';
import { poll } from '../engine/poll.ts';
import type { Step } from '../flows/step.ts';
import { describeDrain, drainStatus } from './drain-status.ts';

/** Past the drain limit: the idle keep-alive grace (5 s) and the process's exit. */
const MARGIN_S = 30;

export const waitDrained: Step<{ engine: Engine; drainingId?: string }> = {
  title: 'Waiting for the old container to drain',
  exitCode: EXIT.internal,
  when: (options) => options.drainTimeout !== undefined,
  run: async (run, _undo, { engine, drainingId }) => {
    if (!drainingId) return 'no old container was serving';
    const name = drainingName(run.ctx, drainingId);
    const started = Date.now();
    const limitS = (run.options.drainTimeout ?? 0) + MARGIN_S;
    let shown = '';
    const exited = await poll(
      async () => {
        const state = await engine.containers.inspect(drainingId);
        if (!state?.running) return true;
        const status = await drainStatus(engine, drainingId);
        const line = status && status.msg !== DRAIN_MESSAGES.done ? describeDrain(status) : '';
        if (line && line !== shown) run.progress.info(`${name}: ${line}`);
        shown = line || shown;
        return undefined;
      },
      { timeoutMs: limitS * 1000, signal: run.signal, delayMs: 1000, maxDelayMs: 5000 },
    );
    const took = ((Date.now() - started) / 1000).toFixed(1);
    if (!exited) {
      run.progress.warn(`${name} still runs after ${took} s; it is removed by a later run once it has exited`);
      return `still draining after ${took} s`;
    }
    const state = await engine.containers.inspect(drainingId);
    return `${name} exited${state ? ` with code ${state.exitCode}` : ''} after ${took} s`;
  },
};
