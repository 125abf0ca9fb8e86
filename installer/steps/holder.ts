// The holder a new proxy joins (part of "Starting the container"). A running holder of ours that
// publishes what the plan asks for is kept: the new proxy starts beside the old one and nobody
// sees a gap. Otherwise (an installation from before the holder, a changed port or HTTPS, a
// holder that does not run) the old proxy is stopped, the old holder moved away and a new one
// started: one short gap, as every upgrade had before. Each move registers its undo; the old
// containers come back in the 'last' phase, the holder before the proxy that joins it.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { labelKeys, madeByInstaller } from '../context.ts';
import { HARDENING, holderSpec } from '../engine/container-spec.ts';
import type { ContainerState } from '../engine/containers.ts';
import type { Engine } from '../engine/engine.ts';
import type { Run, Undo } from '../flows/step.ts';
import type { HttpsSetup } from '../https/https-setup.ts';
import { holderRunSpec } from './plan-install.ts';

export interface HolderInput {
  engine: Engine;
  port: number;
  bind: string;
  https: HttpsSetup;
  imageRef: string;
  holderHash: string;
}

export interface ReadyHolder {
  id: string;
  /** The running proxy joined to it: the new proxy starts beside it and takes over. */
  serving?: ContainerState;
  /** The holder was created by this run (the port had one short gap, or nobody served it). */
  created: boolean;
}

/** Whether `holder` is ours, runs and publishes what the plan asks for. */
function usable(run: Run, holder: ContainerState | undefined, holderHash: string): boolean {
  return (
    !!holder &&
    madeByInstaller(holder.labels, run.ctx) &&
    holder.running &&
    holder.labels[labelKeys(run.ctx).spec] === holderHash
  );
}

export async function readyHolder(run: Run, undo: Undo, input: HolderInput): Promise<ReadyHolder> {
  const { containers } = input.engine;
  const { container, previousContainer, holder: holderName } = run.ctx.names;
  const holder = await containers.inspect(holderName);
  const old = await containers.inspect(container);
  if (holder && usable(run, holder, input.holderHash)) {
    if (old?.running && old.joinedTo === holder.id) return { id: holder.id, serving: old, created: false };
    if (old) await moveAway(run, undo, input.engine, old);
    return { id: holder.id, created: false };
  }
  if (holder && !madeByInstaller(holder.labels, run.ctx))
    throw new InstallError(
      EXIT.startFailed,
      `a container named ${holderName} exists and is not one this installer made`,
      `rename or remove it (docker rm -f ${holderName}), then run the installer again; nothing was changed`,
    );
  // The one gap: the old proxy stops before the port moves to the new holder.
  if (old) await moveAway(run, undo, input.engine, old);
  if (holder) {
    const previousHolder = `${holderName}-previous`;
    const stale = await containers.inspect(previousHolder);
    if (stale && madeByInstaller(stale.labels, run.ctx)) await containers.remove(stale.id);
    await containers.rename(holder.id, previousHolder);
    await containers.stop(holder.id, HARDENING.stopSeconds);
    // Registered after the old proxy's: 'last' actions run in reverse, so the holder is back first.
    undo({
      label: `rename ${previousHolder} back to ${holderName} and start it`,
      phase: 'last',
      run: async () => {
        await containers.rename(holder.id, holderName);
        if (holder.running) await containers.start(holder.id);
      },
    });
  }
  const spec = holderSpec({ ...holderRunSpec(run, input, input.imageRef), labels: holderLabels(run, input) });
  let id: string;
  try {
    id = await containers.create(spec);
  } catch (error) {
    throw new InstallError(
      EXIT.startFailed,
      `the engine refused to create ${holderName}: ${(error as Error).message}`,
      `see ${run.log.path}`,
    );
  }
  undo({ label: `remove ${holderName}`, run: () => containers.remove(id) });
  try {
    await containers.start(id);
  } catch (error) {
    throw new InstallError(
      EXIT.startFailed,
      `${holderName} did not start: ${(error as Error).message}`,
      old ? `the previous version is restored; see ${run.log.path}` : `see ${run.log.path}`,
    );
  }
  run.log.line(
    `${holderName} (${id.slice(0, 12)}) publishes port ${input.port}${old ? `; ${previousContainer} stopped` : ''}`,
  );
  return { id, created: true };
}

function holderLabels(run: Run, input: HolderInput): Record<string, string> {
  return { ...holderRunSpec(run, input, input.imageRef).labels, [labelKeys(run.ctx).spec]: input.holderHash };
}

/** The old proxy becomes `<name>-previous` and stops; it comes back if the run is undone. */
async function moveAway(run: Run, undo: Undo, engine: Engine, old: ContainerState): Promise<void> {
  const { containers } = engine;
  const { container, previousContainer } = run.ctx.names;
  await containers.rename(old.id, previousContainer);
  undo({
    label: `rename ${previousContainer} back to ${container}`,
    run: () => containers.rename(old.id, container),
  });
  const stopping = Date.now();
  await containers.stop(old.id, HARDENING.stopSeconds);
  run.log.line(`old container stopped in ${Date.now() - stopping} ms`);
  undo({
    label: `start ${container} again and wait until it is healthy`,
    phase: 'last',
    run: async () => {
      if (!old.running) return;
      await containers.start(old.id);
      await containers.waitHealthy(old.id, Math.max(run.options.healthTimeout, 60) * 1000);
    },
  });
}
