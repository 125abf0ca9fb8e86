// Swarm services cannot set no-new-privileges; what makes up for it is a non-root user with no
// capabilities and an image without setuid/setgid files. The build context is the image's whole
// content, so it is checked here, before the build, for the hardening report.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../command/exit-codes.ts';
import type { Step } from '../flows/step.ts';

/** Counts files with a setuid/setgid bit under `dir`. */
function setuidFiles(dir: string): number {
  let found = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found += setuidFiles(path);
    else if (lstatSync(path).mode & 0o6000) found++;
  }
  return found;
}

export const checkSetuid: Step<unknown, { setuidFree: boolean }> = {
  title: 'Checking the image content for setuid/setgid files',
  exitCode: EXIT.extractFailed,
  run: async (run) => {
    const count = setuidFiles(run.ctx.paths.workDir);
    return {
      detail: count === 0 ? 'none' : `${count} found: no-new-privileges matters here and Swarm cannot set it`,
      value: { setuidFree: count === 0 },
    };
  },
};
