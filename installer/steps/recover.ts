// Before anything else: finish what a killed installer (SIGKILL, power loss) left half done,
// so every run starts from one of two clean states: installed (`ai-proxy` joined to
// `ai-proxy-holder`, or an `ai-proxy` from before the holder) or not. A `-next` proxy is
// stopped and removed, unless the kill fell inside the hand-over's renames (it was proven: it
// gets the name); an old proxy renamed for the hand-over but never signalled is told to drain;
// one already draining is left to finish (the clean-up removes it once it has exited); a
// `-previous` comes back with the holder it had, unless the current proxy is healthy. A holder
// without a proxy stays: the run gives it one. Then the installed containers, if any: what the
// plan compares against.
import { existsSync } from 'node:fs';
import { EXIT } from '../command/exit-codes.ts';
import type { Logger } from '../command/log.ts';
import { removeWorkDir } from '../archive/work-dir.ts';
import { labelKeys, madeByInstaller, type InstallContext } from '../context.ts';
import { HARDENING } from '../engine/container-spec.ts';
import type { ContainerListing, ContainerState } from '../engine/containers.ts';
import type { Engine } from '../engine/engine.ts';
import { poll } from '../engine/poll.ts';
import type { Step } from '../flows/step.ts';

/** Whether a proxy's log shows it received SIGTERM (its first drain line, src/cli/serve.ts). */
const signalled = (logs: string) => logs.includes('"msg":"draining');

/** What every kind of leftover needs: the engine, the names, and a way to tell our containers. */
interface Leftovers {
  engine: Engine;
  ctx: InstallContext;
  healthTimeoutS: number;
  /** the container of that name, if this installer made it */
  ours(name: string): Promise<ContainerState | undefined>;
  /** old proxies renamed for a hand-over that still run */
  draining(): Promise<ContainerListing[]>;
}

/** A `-next` proxy: the new one of a run killed before or inside its hand-over. */
async function unfinishedNext(l: Leftovers): Promise<string[]> {
  const { containers } = l.engine;
  const { container, previousContainer, nextContainer } = l.ctx.names;
  const next = await l.ours(nextContainer);
  if (!next) return [];
  const handingOver =
    next.running &&
    !(await containers.inspect(container)) &&
    !(await l.ours(previousContainer)) &&
    (await l.draining()).length > 0;
  if (handingOver) {
    // Killed in the hand-over between its renames: the new proxy had been proven, it serves.
    await containers.rename(next.id, container);
    return [`completed the hand-over to ${container}`];
  }
  // A stop, not a removal: it may already have taken requests beside the old proxy.
  await containers.stop(next.id, HARDENING.stopSeconds);
  await containers.remove(next.id);
  return [`removed the unfinished container ${nextContainer}`];
}

/** Old proxies renamed for a hand-over: each gets exactly one SIGTERM, or its name back. */
async function undrainedProxies(l: Leftovers): Promise<string[]> {
  const { containers } = l.engine;
  const { container } = l.ctx.names;
  const done: string[] = [];
  for (const old of await l.draining()) {
    if (signalled(await containers.logsSinceStart(old.id, 500))) continue;
    // Renamed for the hand-over, never told to drain: a second SIGTERM would cut its streams.
    if ((await containers.inspect(container))?.running) {
      await containers.signal(old.id, 'SIGTERM');
      done.push(`told ${old.name} to drain`);
    } else {
      await containers.rename(old.id, container);
      done.push(`restored ${old.name} as ${container}`);
    }
  }
  return done;
}

/** A `-previous` proxy (and holder): kept by a replace that was killed before it was proven. */
async function previousInstall(l: Leftovers): Promise<string[]> {
  const { containers } = l.engine;
  const { container, previousContainer, holder } = l.ctx.names;
  const previous = await l.ours(previousContainer);
  const previousHolder = await l.ours(`${holder}-previous`);
  if (!previous) {
    if (!previousHolder) return [];
    await containers.remove(previousHolder.id);
    return [`removed ${holder}-previous`];
  }
  const current = await containers.inspect(container);
  if (current && current.running && current.health === 'healthy') {
    await containers.remove(previous.id);
    if (previousHolder) await containers.remove(previousHolder.id);
    return [`removed ${previousContainer}: ${container} is running and healthy`];
  }
  if (current) await containers.remove(current.id);
  // The port goes back to what the old proxy had: its own, or the holder it had joined.
  const newHolder = await l.ours(holder);
  if (newHolder && newHolder.id !== previous.joinedTo) await containers.remove(newHolder.id);
  // A stop the killed run had sent goes on in the engine without it: the old proxy may be
  // draining while Docker still calls it running and healthy. Stopping it here (a no-op when
  // it is stopped) waits for that stop, so the start that follows is the last word.
  if (previousHolder) {
    await containers.rename(previousHolder.id, holder);
    await containers.stop(previousHolder.id, HARDENING.stopSeconds);
    await containers.start(previousHolder.id);
  }
  await containers.rename(previous.id, container);
  await containers.stop(previous.id, HARDENING.stopSeconds);
  await containers.start(previous.id);
  // Give it the chance to become healthy again so the idempotency check sees the truth.
  await poll(
    async () => {
      const state = await containers.inspect(previous.id);
      return !state?.running || state.health === 'healthy' || state.health === undefined ? true : undefined;
    },
    { timeoutMs: l.healthTimeoutS * 1000, delayMs: 250 },
  );
  return [`restored ${previousContainer} as ${container}${current ? ` (replacing an unhealthy ${container})` : ''}`];
}

/** The work folder of a run killed before its clean-up. */
function staleWorkDir(l: Leftovers): string[] {
  // The lock we hold means no live installer is using it. removeWorkDir refuses links and
  // folders owned by someone else.
  const { workDir } = l.ctx.paths;
  if (!existsSync(workDir)) return [];
  removeWorkDir(workDir);
  return existsSync(workDir) ? [] : [`removed ${workDir} left by an interrupted run`];
}

/** In this order: a `-next` may be the hand-over that the draining proxies are part of. */
async function recoverLeftovers(
  engine: Engine,
  ctx: InstallContext,
  log: Logger,
  healthTimeoutS: number,
): Promise<string[]> {
  const { containers } = engine;
  const l: Leftovers = {
    engine,
    ctx,
    healthTimeoutS,
    ours: async (name) => {
      const found = await containers.inspect(name);
      return found && madeByInstaller(found.labels, ctx) ? found : undefined;
    },
    draining: async () =>
      (await containers.labelled(`${labelKeys(ctx).repo}=${ctx.names.imageRepo}`)).filter(
        (c) => c.name.startsWith(ctx.names.drainingPrefix) && c.state === 'running' && madeByInstaller(c.labels, ctx),
      ),
  };
  const done = [
    ...(await unfinishedNext(l)),
    ...(await undrainedProxies(l)),
    ...(await previousInstall(l)),
    ...staleWorkDir(l),
  ];
  for (const line of done) log.line(`recovery: ${line}`);
  return done;
}

export const recover: Step<{ engine: Engine }, { existing?: ContainerState; holder?: ContainerState; bind: string }> = {
  title: 'Looking for an interrupted earlier run',
  exitCode: EXIT.engineUnavailable,
  run: async (run, _undo, { engine }) => {
    const done = run.options.dryRun
      ? []
      : await recoverLeftovers(engine, run.ctx, run.log, Math.min(run.options.healthTimeout, 20));
    const existing = await engine.containers.inspect(run.ctx.names.container);
    const found = await engine.containers.inspect(run.ctx.names.holder);
    const holder = found && madeByInstaller(found.labels, run.ctx) ? found : undefined;
    // A re-run without --bind keeps the address the installed container is published on.
    const bind = existing?.bind && !run.options.bindGiven ? existing.bind : run.options.bind;
    const what = existing
      ? `found ${run.ctx.names.container} (${existing.running ? (existing.health ?? 'running') : 'stopped'})`
      : 'nothing installed yet';
    return {
      detail: done.length ? done.join('; ') : what,
      value: { ...(existing ? { existing } : {}), ...(holder ? { holder } : {}), bind },
    };
  },
};
