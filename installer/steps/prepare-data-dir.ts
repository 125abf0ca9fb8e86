// The data folder of client keys and the usage ledger (/srv/ai-proxy/data, the SQLite file the
// container writes at /app/data): created 2770 root:<gid> so the container's user can write it
// and nobody else can read it, kept across upgrades and --uninstall, deleted only by --purge
// (with the rest of the configuration folder).
import { chmodSync, chownSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { pathExists } from '../config-files/config-dir.ts';
import type { Step } from '../flows/step.ts';

/** The folder's mode: group-writable for the container's group, setgid so its files keep that group. */
export const DATA_DIR_MODE = 0o2770;

export const prepareDataDir: Step = {
  title: (run) => `Preparing the data folder ${run.ctx.paths.dataDir}`,
  exitCode: EXIT.configFailed,
  run: async (run, undo) => {
    const dir = run.ctx.paths.dataDir;
    const existed = pathExists(dir);
    // A link or a file here would send the container's writes elsewhere: the operator decides.
    if (existed && !lstatSync(dir).isDirectory())
      throw new InstallError(
        EXIT.configFailed,
        `${dir} exists and is not a directory`,
        `move it away; the installer creates ${dir} for the key store`,
      );
    mkdirSync(dir, { recursive: true, mode: 0o770 });
    chownSync(dir, 0, run.ctx.containerGid);
    chmodSync(dir, DATA_DIR_MODE);
    if (existed) return 'kept (client keys and usage ledger)';
    undo({ label: `remove ${dir}`, run: () => rmSync(dir, { recursive: true, force: true }) });
    return 'created';
  },
};
