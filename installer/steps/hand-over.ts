// The point of no return: the new proxy is healthy and serves through the published port, so it
// takes the name and the old one is told to drain. The old one becomes `<name>-draining-<id>`
// (several may drain at once) and gets SIGTERM through `docker kill`, not `docker stop`: a stop
// would kill it after Docker's 10 s stop timeout and cut its streams, while the proxy's own
// drain lets them finish up to DRAIN_TIMEOUT. It stops accepting at once; connections still in
// its accept queue move to the new one (tcp_migrate_req on the holder). Renames first, signal
// last: a run killed in between leaves names the next run's recovery completes (recover.ts).
import { EXIT } from '../command/exit-codes.ts';
import { drainingName } from '../context.ts';
import type { Engine } from '../engine/engine.ts';
import { poll } from '../engine/poll.ts';
import type { Step } from '../flows/step.ts';
import { describeDrain, drainStatus } from './drain-status.ts';

export const handOver: Step<{ engine: Engine; containerId: string; servingId?: string }, { drainingId?: string }> = {
  title: 'Handing over to the new container',
  exitCode: EXIT.startFailed,
  commits: true,
  run: async (run, _undo, { engine, containerId, servingId }) => {
    const { containers } = engine;
    const { container } = run.ctx.names;
    if (!servingId) {
      await containers.rename(containerId, container);
      return { detail: `${container} (${containerId.slice(0, 12)}) serves`, value: {} };
    }
    const draining = drainingName(run.ctx, servingId);
    await containers.rename(servingId, draining);
    await containers.rename(containerId, container);
    await containers.signal(servingId, 'SIGTERM');
    run.log.line(`${draining} signalled to drain`);
    // Its first drain line says what it still finishes (reported at once after SIGTERM).
    const status = await poll(() => drainStatus(engine, servingId), { timeoutMs: 3000, delayMs: 200 }).catch(
      () => undefined,
    );
    const open = status && status.requests > 0;
    if (open && run.options.drainTimeout === undefined)
      run.progress.info(
        `${draining} finishes what it started (${describeDrain(status)}); follow it with: docker logs -f ${draining}`,
      );
    return {
      detail: `${container} (${containerId.slice(0, 12)}) serves; the old one drains as ${draining}${status ? `: ${describeDrain(status)}` : ''}`,
      value: { drainingId: servingId },
    };
  },
};
