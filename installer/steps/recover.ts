// Before anything else: finish what a killed installer (SIGKILL, power loss) left half done,
// so every run starts from one of two clean states: installed (one `ai-proxy`) or not.
import { existsSync } from 'node:fs';
import type { Engine } from '../engine/engine.ts';
import type { InstallContext } from '../context.ts';
import type { Logger } from '../command/log.ts';
import { removeWorkDir } from './extract.ts';
import { poll } from '../engine/poll.ts';

export async function recoverLeftovers(
  engine: Engine,
  ctx: InstallContext,
  log: Logger,
  healthTimeoutS: number,
): Promise<string[]> {
  const { container, previousContainer, nextContainer } = ctx.names;
  const done: string[] = [];
  const next = await engine.containers.inspect(nextContainer);
  if (next) {
    await engine.containers.remove(next.id);
    done.push(`removed the unfinished container ${nextContainer}`);
  }
  const previous = await engine.containers.inspect(previousContainer);
  if (previous) {
    const current = await engine.containers.inspect(container);
    if (current && current.running && current.health === 'healthy') {
      await engine.containers.remove(previous.id);
      done.push(`removed ${previousContainer}: ${container} is running and healthy`);
    } else {
      if (current) await engine.containers.remove(current.id);
      await engine.containers.rename(previous.id, container);
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
