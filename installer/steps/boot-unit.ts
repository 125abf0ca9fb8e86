// The systemd unit that starts the holder, then the proxy, after each engine start (host/boot-unit.ts
// says why). Written and enabled, not started: the containers run already, and the unit's first
// run is at the next boot or engine start. Rolled back like the other host state: a new unit is
// removed, a replaced one put back.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { describeBootUnit, type BootUnitPlan } from '../host/boot-unit.ts';
import { installUnit, removeUnit, restoreUnit, unitEnabled } from '../host/systemd.ts';
import type { Step } from '../flows/step.ts';

export const bootUnit: Step<{ bootUnit: BootUnitPlan }> = {
  title: 'Installing the boot unit',
  exitCode: EXIT.configFailed,
  run: async (run, undo, { bootUnit: plan }) => {
    if (plan.kind === 'foreign') run.progress.warn(describeBootUnit(plan));
    if (plan.kind !== 'write') return describeBootUnit(plan);
    const { env } = run.ctx;
    const { path, replaces } = plan;
    const wasEnabled = replaces !== undefined && unitEnabled(path, env);
    undo({
      label: replaces === undefined ? `remove ${path}` : `put back the earlier ${path}`,
      run: () => (replaces === undefined ? removeUnit(path, env) : restoreUnit(path, replaces, wasEnabled, env)),
    });
    // An operator who disabled our unit (to keep the proxy down across reboots) keeps it disabled.
    const enable = replaces === undefined || wasEnabled;
    try {
      installUnit(path, plan.text, env, enable);
    } catch (error) {
      throw new InstallError(
        EXIT.configFailed,
        `could not install ${path}: ${(error as Error).message.split('\n')[0]}`,
        'check systemd (sudo systemctl status), then run the installer again',
      );
    }
    return enable ? describeBootUnit(plan) : `${path} updated, left disabled as it was`;
  },
};
