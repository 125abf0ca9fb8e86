// `--uninstall --purge`: delete the configuration folder, with the token, the provider keys and
// the data folder inside it (client keys and the usage ledger).
import { existsSync, rmSync } from 'node:fs';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { Step } from '../flows/step.ts';

export const purgeConfig: Step = {
  title: (run) => `Deleting ${run.ctx.paths.configDir} (--purge)`,
  exitCode: EXIT.configFailed,
  when: (options) => options.purge,
  run: async (run) => {
    const dir = run.ctx.paths.configDir;
    if (!existsSync(dir)) return 'already absent';
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      throw new InstallError(
        EXIT.configFailed,
        `could not delete ${dir}: ${(error as Error).message}`,
        `delete it by hand: sudo rm -rf ${dir}`,
      );
    }
    return 'configuration, token, client keys and usage ledger deleted';
  },
};
