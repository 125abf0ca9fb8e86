// First install on each Debian release, then the operator's everyday runs (scenarios/lifecycle.ts):
// re-run, port change, uninstall, uninstall --purge; and on each release a reconfiguration, a
// failed upgrade and an upgrade to another release build under load (scenarios/under-load.ts).
import assert from 'node:assert/strict';
import { group, scenario } from '../lib/scenario.ts';
import type { Session } from '../lib/session.ts';
import { CONFIG_DIR, assertInstalled, assertServing } from '../lib/installed.ts';
import { addMockUpstream } from '../lib/upstream.ts';
import { nextRelease } from '../lib/next-release.ts';
import { brokenRelease } from '../lib/broken-release.ts';
import { expected } from './expected.ts';
import { changePort, rerunUnchanged, uninstall } from './lifecycle.ts';
import { underLoadCases } from './under-load.ts';

/** Upload pkg/ and install non-interactively: the healthy starting point of most scenarios. */
export async function healthyInstall(s: Session, port = 8080, upstream = true): Promise<void> {
  await s.upload();
  const r = await s.installer(port === 8080 ? ['--yes'] : ['--yes', '--port', String(port)]);
  assert.equal(r.code, 0, `the first install failed (exit ${r.code})`);
  await assertInstalled(s.vps, { port, version: expected.version });
  if (upstream) await addMockUpstream(s.vps);
}

export function installScenarios(): void {
  for (const release of ['bullseye', 'bookworm', 'trixie']) {
    scenario('first install', release, async (s) => {
      await s.upload();
      // no TTY and no --port: the installer must take 8080, say so, and never wait for input;
      // on Debian 13 as the README has it: the admin user runs `sudo ./installer.sh`
      const r = await s.installer(['--yes'], release === 'trixie' ? { user: 'operator', sudo: true } : {});
      s.note = `install took ${(r.ms / 1000).toFixed(1)} s`;
      assert.equal(r.code, 0);
      assert.match(r.output, /8080/, 'the installer says which port it chose');
      await assertInstalled(s.vps, { port: 8080, version: expected.version });
      assert.match(await s.vps.readFile(`${CONFIG_DIR}/.env`), /^AUTH_TOKEN=\S{32,}/m, 'a token was generated');
      await addMockUpstream(s.vps);
      await assertServing(s.vps, 8080);
      return 0;
    });
  }

  scenario('idempotent re-run', 'bookworm', async (s) => {
    await healthyInstall(s, 8080, false);
    await rerunUnchanged(s, 8080);
  });

  scenario('port change', 'bookworm', async (s) => {
    await healthyInstall(s);
    await changePort(s, 8080, 8181);
  });

  // the release builds first: the load must not measure them
  const builds = async () => {
    await nextRelease();
    await brokenRelease();
  };

  group(
    'zero downtime under load',
    'bookworm',
    async (s) => {
      await builds();
      await healthyInstall(s);
    },
    underLoadCases(8080),
  );

  for (const purge of [false, true]) {
    scenario(purge ? 'uninstall --purge' : 'uninstall', 'bookworm', async (s) => {
      await healthyInstall(s, 8080, false);
      return uninstall(s, 8080, purge);
    });
  }

  // the same runs on Debian 11 (Docker 20.10.5) and 13 (Docker 26.1, API 1.45), chained on one VPS each
  for (const release of ['bullseye', 'trixie']) {
    group(
      'everyday runs',
      release,
      async (s) => {
        await builds();
        await healthyInstall(s, 8080, false);
      },
      [
        { title: 'idempotent re-run', run: (s) => rerunUnchanged(s, 8080) },
        // after this config edit a re-run recreates the container (the config differs from the
        // deployed one), so it comes after the idempotency check
        {
          title: 'request reaches a mock upstream',
          run: async (s) => {
            await addMockUpstream(s.vps);
            await assertServing(s.vps, 8080);
          },
        },
        ...underLoadCases(8080),
        { title: 'port change', run: (s) => changePort(s, 8080, 8181) },
        { title: 'uninstall', run: (s) => uninstall(s, 8181, false) },
      ],
    );
  }
}
