// `--uninstall`: disable and delete the boot unit, first, so no engine start brings back what the
// next steps remove. Only a unit with the installer's marker line: one the operator wrote under
// the same name is theirs and stays. Stopping it stops nothing (it has no ExecStop).
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { UNIT_MARKER } from '../host/boot-unit.ts';
import { readIfThere, removeUnit, restoreUnit, unitEnabled } from '../host/systemd.ts';
import type { Step } from '../flows/step.ts';

export const removeBootUnit: Step = {
  title: 'Removing the boot unit',
  exitCode: EXIT.configFailed,
  run: async (run, undo) => {
    const { paths, env } = run.ctx;
    const path = paths.bootUnit;
    const text = readIfThere(path);
    if (text === undefined) return 'none installed';
    if (!text.startsWith(UNIT_MARKER)) {
      run.progress.warn(`left ${path} alone: it does not start with the installer's marker line, so it is not ours`);
      return `${path} is not the installer's: kept`;
    }
    const enabled = unitEnabled(path, env);
    undo({ label: `put back ${path}`, run: () => restoreUnit(path, text, enabled, env) });
    try {
      removeUnit(path, env);
    } catch (error) {
      throw new InstallError(
        EXIT.configFailed,
        `could not remove ${path}: ${(error as Error).message.split('\n')[0]}`,
        `remove it by hand: sudo systemctl disable ${path.split('/').pop()} && sudo rm ${path}`,
      );
    }
    return `${path} disabled and deleted`;
  },
};
