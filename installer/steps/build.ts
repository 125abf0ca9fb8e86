// Step 6: build the image from the extracted folder alone (a tar stream sent to the engine;
// FROM scratch, so nothing is pulled). The tags it moves are put back on rollback, and the
// new image is removed when nothing uses it.
import { readdirSync } from 'node:fs';
import { create as createTar } from 'tar';
import type { Readable } from 'node:stream';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { labelKeys } from './plan-install.ts';
import { faultInjected } from '../faults.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

export const build: Step = {
  title: (state) => `Building the image ${state.imageRef}`,
  exitCode: EXIT.buildFailed,
  async run(state, undo) {
    const engine = need(state.engine, 'engine');
    const imageRef = need(state.imageRef, 'image');
    const latest = `${state.ctx.names.imageRepo}:latest`;
    const tags = [imageRef, latest];
    const before = new Map<string, string | undefined>();
    for (const tag of tags) before.set(tag, await engine.images.exists(tag));
    const dir = state.ctx.paths.workDir;
    if (faultInjected(state.ctx, 'build')) {
      // The engine itself must reject the build, so the real error path is what gets tested.
      state.log.line('fault injection: sending the engine a Dockerfile it must reject');
      writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nNOT-AN-INSTRUCTION fault injection\n');
    }
    const context = createTar({ cwd: dir, portable: true, gzip: false }, readdirSync(dir)) as unknown as Readable;
    const keys = labelKeys(state.ctx);
    let id: string;
    try {
      id = await engine.images.build(
        context,
        tags,
        { [keys.repo]: state.ctx.names.imageRepo, [keys.version]: need(state.manifest, 'manifest').version },
        state.signal,
        (line) => {
          state.log.line(`build: ${line}`);
          if (state.options.verbose) state.progress.info(`  ${line}`);
        },
      );
    } catch (error) {
      if (state.signal.aborted) throw error;
      throw new InstallError(
        EXIT.buildFailed,
        `the image build failed: ${(error as Error).message}`,
        `see ${state.log.path}; check free disk space (df -h /var/lib/docker)`,
      );
    }
    state.imageId = id;
    undo({
      label: `restore the image tags ${tags.join(', ')}`,
      run: async () => {
        for (const [tag, old] of before) {
          if (old) await engine.images.tag(old, tag);
          else await engine.images.remove(tag);
        }
        if (![...before.values()].includes(id)) await engine.images.remove(id);
      },
    });
    return `${id.replace('sha256:', '').slice(0, 12)}`;
  },
};
