// Start the new container. Everything that can be done while the old one still serves is done
// first (the new container is created as <name>-next, the old one renamed <name>-previous, the
// new one given the name); only then is the old one stopped and the new one started: the gap for
// clients is one stop plus one start. Each move registers its undo.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { labelKeys } from '../context.ts';
import { containerSpec, HARDENING } from '../engine/container-spec.ts';
import type { Engine } from '../engine/engine.ts';
import type { Run, Step } from '../flows/step.ts';
import type { HttpsSetup } from '../https/https-setup.ts';
import { runSpec, type InstallPlan } from './plan-install.ts';
import type { VerifiedArchive } from './verify-archive.ts';

type StartInput = { engine: Engine; archive: VerifiedArchive; port: number; bind: string } & Pick<
  InstallPlan,
  'config' | 'https' | 'imageRef' | 'specHash'
>;

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

export const startContainer: Step<StartInput, { containerId: string; previousImageId?: string }> = {
  title: 'Starting the container',
  exitCode: EXIT.startFailed,
  run: async (run, undo, input) => {
    const { containers } = input.engine;
    const { container, previousContainer, nextContainer } = run.ctx.names;
    const spec = containerSpec(runSpec(run, input, nextContainer, input.imageRef, containerLabels(run, input)));
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
    undo({ label: 'remove the new container', run: () => containers.remove(id) });

    const old = await containers.inspect(container);
    if (old) {
      // Renames first: they do not interrupt the old container, so the only gap left for
      // clients is one stop plus one start.
      await containers.rename(old.id, previousContainer);
      undo({
        label: `rename ${previousContainer} back to ${container}`,
        run: async () => {
          await containers.remove(id);
          await containers.rename(old.id, container);
        },
      });
    }
    await containers.rename(id, container);
    const gapStart = Date.now();
    if (old) {
      const wasRunning = old.running;
      await containers.stop(old.id, HARDENING.stopSeconds);
      run.log.line(`old container stopped in ${Date.now() - gapStart} ms`);
      undo({
        label: `start ${container} again and wait until it is healthy`,
        phase: 'last',
        run: async () => {
          if (!wasRunning) return;
          await containers.start(old.id);
          await containers.waitHealthy(old.id, Math.max(run.options.healthTimeout, 60) * 1000);
        },
      });
    }
    try {
      await containers.start(id);
    } catch (error) {
      throw new InstallError(
        EXIT.startFailed,
        `the new container did not start: ${(error as Error).message}`,
        old ? `the previous version is restored; see ${run.log.path}` : `see ${run.log.path}`,
      );
    }
    run.log.line(`new container started ${Date.now() - gapStart} ms after the old one was asked to stop`);
    return {
      detail: `${container} (${id.slice(0, 12)})${old ? `, old one kept as ${previousContainer}` : ''}`,
      value: { containerId: id, ...(old ? { previousImageId: old.image } : {}) },
    };
  },
};
