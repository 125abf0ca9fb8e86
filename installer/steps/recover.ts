// Before anything else: finish what a killed installer (SIGKILL, power loss) left half done,
// so every run starts from one of two clean states: installed (one `ai-proxy`) or not. Then
// the installed container, if any: what the plan compares against.
import { existsSync } from 'node:fs';
import { EXIT } from '../command/exit-codes.ts';
import type { Logger } from '../command/log.ts';
import { removeWorkDir } from '../archive/work-dir.ts';
import { madeByInstaller, type InstallContext } from '../context.ts';
import { HARDENING } from '../engine/container-spec.ts';
import type { ContainerState } from '../engine/containers.ts';
import type { Engine } from '../engine/engine.ts';
import { poll } from '../engine/poll.ts';
import type { Step } from '../flows/step.ts';

async function recoverLeftovers(
  engine: Engine,
  ctx: InstallContext,
  log: Logger,
  healthTimeoutS: number,
): Promise<string[]> {
  const { container, previousContainer, nextContainer } = ctx.names;
  const done: string[] = [];
  const next = await engine.containers.inspect(nextContainer);
  if (next && madeByInstaller(next.labels, ctx)) {
    await engine.containers.remove(next.id);
    done.push(`removed the unfinished container ${nextContainer}`);
  }
  const previous = await engine.containers.inspect(previousContainer);
  if (previous && madeByInstaller(previous.labels, ctx)) {
    const current = await engine.containers.inspect(container);
    if (current && current.running && current.health === 'healthy') {
      await engine.containers.remove(previous.id);
      done.push(`removed ${previousContainer}: ${container} is running and healthy`);
    } else {
      if (current) await engine.containers.remove(current.id);
      await engine.containers.rename(previous.id, container);
      // A stop the killed run had sent goes on in the engine without it: the old proxy may be
      // draining while Docker still calls it running and healthy. Stopping it here (a no-op when
      // it is stopped) waits for that stop, so the start that follows is the last word.
      await engine.containers.stop(previous.id, HARDENING.stopSeconds);
      await engine.containers.start(previous.id);
      done.push(
        `restored ${previousContainer} as ${container}${current ? ` (replacing an unhealthy ${container})` : ''}`,
      );
      // Give it the chance to become healthy again so the idempotency check sees the truth.
      await poll(
        async () => {
          const state = await engine.containers.inspect(previous.id);
          return !state?.running || state.health === 'healthy' || state.health === undefined ? true : undefined;
        },
        { timeoutMs: healthTimeoutS * 1000, delayMs: 250 },
      );
    }
  }
  // A run killed before its clean-up leaves the work folder behind; the lock we hold means no
  // live installer is using it. removeWorkDir refuses links and folders owned by someone else.
  const { workDir } = ctx.paths;
  if (existsSync(workDir)) {
    removeWorkDir(workDir);
    if (!existsSync(workDir)) done.push(`removed ${workDir} left by an interrupted run`);
  }
  for (const line of done) log.line(`recovery: ${line}`);
  return done;
}

export const recover: Step<{ engine: Engine }, { existing?: ContainerState; bind: string }> = {
  title: 'Looking for an interrupted earlier run',
  exitCode: EXIT.engineUnavailable,
  run: async (run, _undo, { engine }) => {
    const done = run.options.dryRun
      ? []
      : await recoverLeftovers(engine, run.ctx, run.log, Math.min(run.options.healthTimeout, 20));
    const existing = await engine.containers.inspect(run.ctx.names.container);
    // A re-run without --bind keeps the address the installed container is published on.
    const bind = existing?.bind && !run.options.bindGiven ? existing.bind : run.options.bind;
    const found = existing
      ? `found ${run.ctx.names.container} (${existing.running ? (existing.health ?? 'running') : 'stopped'})`
      : 'nothing installed yet';
    return { detail: done.length ? done.join('; ') : found, value: { ...(existing ? { existing } : {}), bind } };
  },
};
