// First install on each Debian release, then the operator's everyday runs: re-run, port change,
// upgrade to another release build, uninstall, uninstall --purge.
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.ts';
import type { Session } from '../lib/session.ts';
import { CONFIG_DIR, assertFiles, assertInstalled, assertServing } from '../lib/installed.ts';
import { addMockUpstream } from '../lib/upstream.ts';
import { nextRelease } from '../lib/next-release.ts';
import { startProbe, stopProbe } from '../lib/probe.ts';
import { expected } from './expected.ts';

/** Upload pkg/ and install non-interactively: the healthy starting point of most scenarios. */
export async function healthyInstall(s: Session, port = 8080, upstream = true): Promise<void> {
  await s.upload();
  const r = await s.installer(port === 8080 ? ['--yes'] : ['--yes', '--port', String(port)]);
  assert.equal(r.code, 0, `the first install failed (exit ${r.code})`);
  await assertInstalled(s.vps, { port, version: expected.version });
  if (upstream) await addMockUpstream(s.vps);
}

const sha = async (s: Session, file: string) => (await s.vps.execOk(`sha256sum ${CONFIG_DIR}/${file}`)).stdout.split(' ')[0];

export function installScenarios(): void {
  for (const release of ['bullseye', 'bookworm', 'trixie']) {
    scenario('first install', release, async (s) => {
      await s.upload();
      // no TTY and no --port: the installer must take 8080, say so, and never wait for input
      const r = await s.installer(['--yes']);
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
    const before = await s.vps.inspect('ai-proxy');
    const r = await s.installer(['--yes']);
    assert.equal(r.code, 0);
    const after = await s.vps.inspect('ai-proxy');
    assert.equal(after?.Id, before?.Id, 'the same container keeps running');
    assert.equal(after?.State?.StartedAt, before?.State?.StartedAt, 'the container was not restarted');
    await assertInstalled(s.vps, { port: 8080, version: expected.version });
  });

  scenario('port change', 'bookworm', async (s) => {
    await healthyInstall(s);
    const envBefore = await s.vps.readFile(`${CONFIG_DIR}/.env`);
    const providersBefore = await sha(s, 'provider-config.yaml');
    const r = await s.installer(['--yes', '--port', '8181']);
    assert.equal(r.code, 0);
    await assertInstalled(s.vps, { port: 8181, version: expected.version });
    assert.notEqual((await s.vps.exec('curl -s -m 3 http://127.0.0.1:8080/ping')).code, 0, 'the old port no longer answers');
    const envAfter = await s.vps.readFile(`${CONFIG_DIR}/.env`);
    const withoutPort = (t: string) => t.split('\n').filter((l) => !/^\s*PORT\s*=/.test(l));
    assert.deepEqual(withoutPort(envAfter), withoutPort(envBefore), 'only the PORT line of .env changed');
    assert.match(envAfter, /^PORT=8181$/m);
    assert.equal(await sha(s, 'provider-config.yaml'), providersBefore, 'provider-config.yaml is untouched');
  });

  scenario(
    'upgrade to another release build',
    'bookworm',
    async (s) => {
      const next = await nextRelease();
      if (next.seconds) console.log(`# second release ${next.version} built from a clone of HEAD in ${next.seconds.toFixed(1)} s`);
      await healthyInstall(s);
      const config = [await sha(s, '.env'), await sha(s, 'provider-config.yaml')];
      const oldImage = (await s.vps.inspect('ai-proxy'))?.Image;
      await s.upload(next.release);
      await startProbe(s.vps, 8080);
      const r = await s.installer(['--yes']);
      const probe = await stopProbe(s.vps);
      s.note = `downtime ${(probe.longestGapMs / 1000).toFixed(2)} s (${probe.failures}/${probe.probes} probes failed)`;
      assert.equal(r.code, 0);
      await assertInstalled(s.vps, { port: 8080, version: next.version });
      assert.deepEqual([await sha(s, '.env'), await sha(s, 'provider-config.yaml')], config, 'the configuration survived the upgrade byte for byte');
      assert.ok(await s.vps.inspect(oldImage), 'the previous image is kept (one step back stays possible)');
    },
  );

  for (const purge of [false, true]) {
    scenario(purge ? 'uninstall --purge' : 'uninstall', 'bookworm', async (s) => {
      await healthyInstall(s, 8080, false);
      const config = await s.vps.execOk(`cd ${CONFIG_DIR} && sha256sum .env provider-config.yaml`);
      const r = await s.installer(purge ? ['--uninstall', '--purge', '--yes'] : ['--uninstall', '--yes']);
      assert.equal(r.code, 0);
      const names = (await s.vps.execOk(`docker ps -a --format '{{.Names}}'`)).stdout.split('\n').filter((n) => n.startsWith('ai-proxy'));
      assert.deepEqual(names, [], 'no ai-proxy container is left');
      assert.equal((await s.vps.execOk('docker images -q ai-proxy')).stdout.trim(), '', 'no ai-proxy image is left');
      assert.notEqual((await s.vps.exec('curl -s -m 3 http://127.0.0.1:8080/ping')).code, 0, 'nothing answers on the port');
      assert.equal(await s.vps.fileExists('/tmp/ai-proxy'), false);
      if (purge) {
        assert.equal(await s.vps.fileExists(CONFIG_DIR), false, `${CONFIG_DIR} is deleted by --purge`);
      } else {
        const kept = await s.vps.execOk(`cd ${CONFIG_DIR} && sha256sum .env provider-config.yaml`);
        assert.equal(kept.stdout, config.stdout, `${CONFIG_DIR} is kept byte for byte`);
        // and a later install finds the kept configuration (same token)
        const again = await s.installer(['--yes']);
        assert.equal(again.code, 0);
        assert.equal((await s.vps.execOk(`cd ${CONFIG_DIR} && sha256sum .env provider-config.yaml`)).stdout, config.stdout);
        await assertFiles(s.vps);
        return r.code;
      }
    });
  }
}
