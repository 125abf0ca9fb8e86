// Build the image from the work folder alone (a tar stream sent to the engine; FROM scratch, so
// nothing is pulled). The tags it moves are put back on rollback, and the new image is removed
// when nothing uses it.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { create as createTar } from 'tar';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { labelKeys } from '../context.ts';
import type { Engine } from '../engine/engine.ts';
import { faultInjected } from '../faults.ts';
import type { Step } from '../flows/step.ts';
import type { VerifiedArchive } from './verify-archive.ts';

export const build: Step<{ engine: Engine; archive: VerifiedArchive; imageRef: string }, { imageId: string }> = {
  title: (_run, { imageRef }) => `Building the image ${imageRef}`,
  exitCode: EXIT.buildFailed,
  run: async (run, undo, { engine, archive, imageRef }) => {
    const { images } = engine;
    const latest = `${run.ctx.names.imageRepo}:latest`;
    const tags = [imageRef, latest];
    const before = new Map<string, string | undefined>();
    for (const tag of tags) before.set(tag, await images.exists(tag));
    const dir = run.ctx.paths.workDir;
    if (faultInjected(run.ctx, 'build')) {
      // The engine itself must reject the build, so the real error path is what gets tested.
      run.log.line('fault injection: sending the engine a Dockerfile it must reject');
      writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nNOT-AN-INSTRUCTION fault injection\n');
    }
    const context = createTar({ cwd: dir, portable: true, gzip: false }, readdirSync(dir)) as unknown as Readable;
    const keys = labelKeys(run.ctx);
    let id: string;
    try {
      id = await images.build(
        context,
        tags,
        { [keys.repo]: run.ctx.names.imageRepo, [keys.version]: archive.manifest.version },
        run.signal,
        (line) => {
          run.log.line(`build: ${line}`);
          if (run.options.verbose) run.progress.info(`  ${line}`);
        },
      );
    } catch (error) {
      if (run.signal.aborted) throw error;
      throw new InstallError(
        EXIT.buildFailed,
        `the image build failed: ${(error as Error).message}`,
        `see ${run.log.path}; check free disk space (df -h /var/lib/docker)`,
      );
    }
    undo({
      label: `restore the image tags ${tags.join(', ')}`,
      run: async () => {
        for (const [tag, old] of before) {
          if (old) await images.tag(old, tag);
          else await images.remove(tag);
        }
        if (![...before.values()].includes(id)) await images.remove(id);
      },
    });
    return { detail: `${id.replace('sha256:', '').slice(0, 12)}`, value: { imageId: id } };
  },
};
