// The boot unit on a VPS that boots systemd (recipe bookworm-systemd), where `docker restart` of
// the VPS is a reboot: Docker starts the holder and the joined proxy in no order and never
// retries a proxy that started first; the installer's unit starts them again in order.
import assert from 'node:assert/strict';
import { group } from '../lib/scenario.ts';
import type { Session } from '../lib/session.ts';
import type { Vps } from '../lib/vps.ts';
import { assertInstalled } from '../lib/installed.ts';
import { unitStarts } from '../../../installer/host/boot-unit.ts';
import { expected } from './expected.ts';
import { healthyInstall } from './install.ts';
import { rerunUnchanged, uninstall } from './lifecycle.ts';

const UNIT = '/etc/systemd/system/ai-proxy.service';
const PORT = 8080;
const REBOOTS = 5;
/** What dockerd logs when it starts the proxy before the holder (moby/moby#11777). */
const JOIN_ERROR = 'cannot join network of a non running container';

/** The unit's state as systemd reports it: each run has a new InvocationID. */
async function unitState(vps: Vps): Promise<Record<string, string>> {
  const r = await vps.execOk('systemctl show ai-proxy --property=ActiveState,Result,InvocationID,UnitFileState');
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

const running = async (vps: Vps, name: string) => (await vps.inspect(name))?.State?.Running === true;

/** After a boot or an engine start: the unit ran and succeeded, both containers run, the proxy serves. */
async function assertBackUp(vps: Vps, what: string): Promise<Record<string, string>> {
  // `systemctl restart docker` returns once the engine runs, while the unit may still be starting
  await vps.waitFor(
    '[ "$(systemctl show --property=ActiveState --value ai-proxy)" != activating ]',
    120_000,
    `${what}: the unit did not finish`,
  );
  const unit = await unitState(vps);
  assert.equal(unit.ActiveState, 'active', `${what}: the unit did not run: ${JSON.stringify(unit)}`);
  assert.equal(unit.Result, 'success', `${what}: the unit failed: ${JSON.stringify(unit)}`);
  assert.ok(await running(vps, 'ai-proxy-holder'), `${what}: the holder is not running`);
  assert.ok(await running(vps, 'ai-proxy'), `${what}: the proxy is not running`);
  await assertInstalled(vps, { port: PORT, version: expected.version });
  return unit;
}

/** Whether dockerd's own start of the proxy lost the race in the current boot. */
async function raced(vps: Vps): Promise<boolean> {
  return (await vps.exec(`journalctl -b -u docker --no-pager | grep -q '${JOIN_ERROR}'`)).code === 0;
}

async function setup(s: Session): Promise<void> {
  // a first install that fails after the unit step rolls the unit back with everything else
  await s.vps.execOk('touch /etc/ai-proxy-installer-fault-injection');
  await s.upload();
  const failed = await s.installer(['--yes'], { env: { AI_PROXY_INSTALLER_FAULT: 'build' } });
  assert.equal(failed.code, 12, 'the injected build failure');
  assert.equal(await s.vps.fileExists(UNIT), false, 'the rollback removed the unit');
  assert.notEqual((await unitState(s.vps)).UnitFileState, 'enabled', 'the rollback disabled the unit');
  await s.vps.execOk('rm /etc/ai-proxy-installer-fault-injection');

  await healthyInstall(s, PORT, false);
  assert.match(s.last?.output ?? '', /Installing the boot unit.*created and enabled/);
  assert.equal((await s.vps.execOk(`stat -c '%a %U %G' ${UNIT}`)).stdout.trim(), '644 root root');
  const text = await s.vps.readFile(UNIT);
  assert.deepEqual(unitStarts(text), ['ai-proxy-holder', 'ai-proxy'], 'the holder first');
  assert.equal((await unitState(s.vps)).UnitFileState, 'enabled');
  // systemd's own reading of the unit: no unknown directive, executables found
  await s.vps.execOk(`systemd-analyze verify ${UNIT}`);
}

export function rebootScenarios(): void {
  group('boot unit', 'bookworm-systemd', setup, [
    {
      title: 'idempotent re-run keeps the unit',
      run: async (s) => {
        const before = (await s.vps.execOk(`stat -c '%Y %i' ${UNIT}`)).stdout;
        await rerunUnchanged(s, PORT);
        assert.equal((await s.vps.execOk(`stat -c '%Y %i' ${UNIT}`)).stdout, before, 'the unit was not rewritten');
        const forced = await s.installer(['--yes', '--force']);
        assert.equal(forced.code, 0);
        assert.match(forced.output, /Installing the boot unit.*already in place/);
        assert.equal((await s.vps.execOk(`stat -c '%Y %i' ${UNIT}`)).stdout, before, 'the unit was not rewritten');
      },
    },
    {
      // Docker starts no container stopped by hand at boot: whatever runs afterwards, the unit
      // started, and the proxy can only start once the holder runs.
      title: 'reboot after both were stopped by hand: the unit starts them',
      run: async (s) => {
        await s.vps.execOk('docker stop ai-proxy ai-proxy-holder');
        await s.vps.reboot();
        await assertBackUp(s.vps, 'reboot');
      },
    },
    {
      title: `${REBOOTS} reboots`,
      run: async (s) => {
        let races = 0;
        for (let i = 1; i <= REBOOTS; i++) {
          await s.vps.reboot();
          if (await raced(s.vps)) races++;
          await assertBackUp(s.vps, `reboot ${i}`);
        }
        s.note = `Docker started the proxy before the holder in ${races} of ${REBOOTS} boots; up after each`;
      },
    },
    {
      title: 'engine restart runs the unit again',
      run: async (s) => {
        const before = await unitState(s.vps);
        await s.vps.execOk('systemctl restart docker', { timeoutMs: 180_000 });
        const after = await assertBackUp(s.vps, 'systemctl restart docker');
        assert.notEqual(after.InvocationID, before.InvocationID, 'the unit ran again after the engine restart');
        // no ExecStop: an operator's `systemctl stop ai-proxy` must not take the proxy down
        await s.vps.execOk('systemctl stop ai-proxy');
        assert.ok(await running(s.vps, 'ai-proxy'), 'stopping the unit stopped the proxy');
        assert.ok(await running(s.vps, 'ai-proxy-holder'), 'stopping the unit stopped the holder');
      },
    },
    {
      title: 'uninstall --purge removes the unit',
      run: async (s) => {
        await s.upload(); // the reboots emptied /tmp, as on any Debian host (systemd-tmpfiles)
        const code = await uninstall(s, PORT, true);
        assert.equal(await s.vps.fileExists(UNIT), false, 'the unit file is deleted');
        assert.equal((await unitState(s.vps)).UnitFileState, '', 'systemd no longer knows the unit');
        return code;
      },
    },
  ]);
}
