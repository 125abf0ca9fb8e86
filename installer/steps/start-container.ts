// Start the new proxy beside the old one. It joins the holder's network namespace (holder.ts:
// kept when it publishes what the plan asks for, else created, which is the one gap) and
// listens on the shared port with SO_REUSEPORT; the old proxy keeps serving, untouched, until
// the new one is proven (wait-healthy.ts) and the hand-over (hand-over.ts) tells it to drain.
// The new container is `<name>-next` until then.
import { randomBytes } from 'node:crypto';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { labelKeys } from '../context.ts';
import { containerSpec, HARDENING } from '../engine/container-spec.ts';
import type { Run, Step } from '../flows/step.ts';
import type { HttpsSetup } from '../https/https-setup.ts';
import { readyHolder, type HolderInput } from './holder.ts';
import { runSpec, type InstallPlan } from './plan-install.ts';
import type { VerifiedArchive } from './verify-archive.ts';

type StartInput = HolderInput & { archive: VerifiedArchive } & Pick<InstallPlan, 'config' | 'specHash'>;

export interface Started {
  containerId: string;
  /** AI_PROXY_INSTANCE of the new proxy: the name its answers on the shared port carry. */
  instance: string;
  holderId: string;
  /** The old proxy still serving beside the new one: the hand-over tells it to drain. */
  servingId?: string;
  previousImageId?: string;
}

function containerLabels(run: Run, input: StartInput): Record<string, string> {
  const keys = labelKeys(run.ctx);
  return {
    [keys.version]: input.archive.manifest.version,
    [keys.archive]: input.archive.sha,
    [keys.config]: input.config.configHash,
    [keys.spec]: input.specHash,
    [keys.repo]: run.ctx.names.imageRepo,
    ...(httpsOn(input.https) ? { [keys.httpsPort]: String(input.port) } : {}),
  };
}

function httpsOn(https: HttpsSetup): boolean {
  return https.settings.mode !== 'off';
}

export const startContainer: Step<StartInput, Started> = {
  title: 'Starting the container',
  exitCode: EXIT.startFailed,
  run: async (run, undo, input) => {
    const { containers } = input.engine;
    const { nextContainer, previousContainer } = run.ctx.names;
    const previousImage = (await containers.inspect(run.ctx.names.container))?.image;
    const holder = await readyHolder(run, undo, input);
    const instance = `${input.archive.manifest.version}-${randomBytes(4).toString('hex')}`;
    const spec = containerSpec(runSpec(run, input, nextContainer, input.imageRef, containerLabels(run, input)), {
      holderId: holder.id,
      instance,
    });
    let id: string;
    try {
      id = await containers.create(spec);
    } catch (error) {
      throw new InstallError(
        EXIT.startFailed,
        `the engine refused to create the container: ${(error as Error).message}`,
        `see ${run.log.path}`,
      );
    }
    // A stop, not a removal: if it already serves beside the old one, it finishes what it took.
    undo({
      label: `stop and remove ${nextContainer}`,
      run: async () => {
        await containers.stop(id, HARDENING.stopSeconds);
        await containers.remove(id);
      },
    });
    try {
      await containers.start(id);
    } catch (error) {
      throw new InstallError(
        EXIT.startFailed,
        `the new container did not start: ${(error as Error).message}`,
        holder.serving || !holder.created
          ? `the previous version keeps serving; see ${run.log.path}`
          : `the previous version is restored; see ${run.log.path}`,
      );
    }
    const beside = holder.serving ? `, beside ${holder.serving.name}` : '';
    const moved = holder.created ? `; ${run.ctx.names.holder} publishes the port` : '';
    const kept = !holder.serving && previousImage ? `, old one stopped and kept as ${previousContainer}` : '';
    return {
      detail: `${nextContainer} (${id.slice(0, 12)})${beside}${kept}${moved}`,
      value: {
        containerId: id,
        instance,
        holderId: holder.id,
        ...(holder.serving ? { servingId: holder.serving.id } : {}),
        ...(previousImage ? { previousImageId: previousImage } : {}),
      },
    };
  },
};
