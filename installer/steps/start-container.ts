// Step 7: start the new container. Everything that can be done while the old one still serves
// is done first (the new container is created as <name>-next, the old one renamed
// <name>-previous, the new one given the name); only then is the old one stopped and the new
// one started: the gap for clients is one stop plus one start. Each move registers its undo.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { containerSpec, HARDENING } from '../engine/container-spec.ts';
import { containerLabels, startInterval, tlsSpec } from './plan-install.ts';
import type { Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

export const run: Step = {
  title: 'Starting the container',
  exitCode: EXIT.startFailed,
  async run(state, undo) {
    const engine = need(state.engine, 'engine');
    const { container, previousContainer, nextContainer } = state.ctx.names;
    const spec = containerSpec({
      name: nextContainer,
      image: need(state.imageRef, 'image'),
      port: need(state.port, 'port'),
      bind: need(state.bind, 'bind'),
      configDir: state.ctx.paths.configDir,
      labels: containerLabels(state),
      ...startInterval(state),
      ...tlsSpec(state),
    });
    let id: string;
    try {
      id = await engine.containers.create(spec);
    } catch (error) {
      throw new InstallError(
        EXIT.startFailed,
        `the engine refused to create the container: ${(error as Error).message}`,
        `see ${state.log.path}`,
      );
    }
    state.containerId = id;
    undo({ label: 'remove the new container', run: () => engine.containers.remove(id) });

    const old = await engine.containers.inspect(container);
    if (old) {
      state.previousImageId = old.image;
      // Renames first: they do not interrupt the old container, so the only gap left for
      // clients is one stop plus one start.
      await engine.containers.rename(old.id, previousContainer);
      undo({
        label: `rename ${previousContainer} back to ${container}`,
        run: async () => {
          await engine.containers.remove(id);
          await engine.containers.rename(old.id, container);
        },
      });
    }
    await engine.containers.rename(id, container);
    const gapStart = Date.now();
    if (old) {
      const wasRunning = old.running;
      await engine.containers.stop(old.id, HARDENING.stopSeconds);
      state.log.line(`old container stopped in ${Date.now() - gapStart} ms`);
      undo({
        label: `start ${container} again and wait until it is healthy`,
        phase: 'last',
        run: async () => {
          if (!wasRunning) return;
          await engine.containers.start(old.id);
          await engine.containers.waitHealthy(old.id, Math.max(state.options.healthTimeout, 60) * 1000);
        },
      });
    }
    try {
      await engine.containers.start(id);
    } catch (error) {
      throw new InstallError(
        EXIT.startFailed,
        `the new container did not start: ${(error as Error).message}`,
        old ? `the previous version is restored; see ${state.log.path}` : `see ${state.log.path}`,
      );
    }
    state.log.line(`new container started ${Date.now() - gapStart} ms after the old one was asked to stop`);
    return `${container} (${id.slice(0, 12)})${old ? `, old one kept as ${previousContainer}` : ''}`;
  },
};
