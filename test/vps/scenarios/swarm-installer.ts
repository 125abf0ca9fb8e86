// The swarm steps through the real installer.sh, as docs/scale-out.md (section 5) defines the
// CLI: init, join, a VPS off, bad input, rolling upgrade, rollback, uninstall and leave.
import assert from 'node:assert/strict';
import { nextRelease } from '../lib/next-release.ts';
import { authToken, CONFIG_DIR } from '../lib/installed.ts';
import { SERVICE, SwarmProbe, describeProbes } from '../lib/swarm.ts';
import { assertOneLineError, initAndJoin, lastLine, service, swarmState, type Join } from '../lib/swarm-install.ts';
import { expected } from './expected.ts';
import { assertNodeServes, assertTaskHardened, stopOneVps, type SwarmStep } from './swarm.ts';
import {
  PROVIDER_WITHOUT_KEY,
  assertEveryNodeLeftAndCameBack,
  assertNoClientFailure,
  describeBalanced,
  provideSlowUpstream,
  throughBalancer,
} from './swarm-balanced.ts';

const PORT = 8080;
const HELD_PORT = 9191;
const PORT_HOLDER = `perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => ${HELD_PORT}, Listen => 5, ReuseAddr => 1) or die "$!"; sleep 600'`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let join: Join | undefined;

export function swarmInstallerSteps(): SwarmStep[] {
  return [
    {
      title: '1. init on the first VPS, the printed join on the other two: 3 nodes serve, hardened',
      async run(r) {
        const { cluster } = r;
        const m = cluster.manager;
        // the operator's own provider file: echo and a slow upstream, for the load of steps 3 and 4b
        await provideSlowUpstream(cluster);
        const formed = await initAndJoin(cluster);
        const { init } = formed;
        join = formed.join;
        r.code = init.code;
        // it never reports hardening it did not apply: no-new-privileges is named as not applied
        assert.match(
          init.output,
          /NOT applied:[^\n]*no-new-privileges/,
          'the installer says it could not apply no-new-privileges in Swarm',
        );
        const applied = init.output.split('\n').filter((l) => /applied:/.test(l) && !/NOT applied:/.test(l));
        assert.ok(
          applied.length > 0 && applied.every((l) => !l.includes('no-new-privileges')),
          `no-new-privileges is not listed as applied: ${applied.join(' | ')}`,
        );
        const joins = formed.joins.map((j) => j.ms);
        const states = await cluster.waitNodes('ready', 3);
        assert.equal(states.filter((s) => s.leader).length, 1, 'one leader');
        assert.equal(states.filter((s) => s.role === 'worker').length, 2, 'two workers');
        const converged = Date.now();
        await cluster.waitConverged();
        r.token = await authToken(m.session.vps);
        for (const n of cluster.nodes) {
          await assertNodeServes(n, r.token);
          await assertTaskHardened(cluster, n, expected.version);
        }
        const labels = (await service(cluster)).Spec?.Labels ?? {};
        assert.equal(
          labels['ai-proxy.version'],
          expected.version,
          `the service is labelled with its version: ${JSON.stringify(labels)}`,
        );
        assert.ok(labels['ai-proxy.config-hash'], 'the service carries its config hash');
        r.note = `init ${secs(init.ms)}, joins ${joins.map(secs).join(' and ')}, workers' tasks healthy ${secs(Date.now() - converged)} later`;
      },
    },
    { title: '2. one VPS switched off: the other two keep serving, the swarm reports it down', run: stopOneVps },
    {
      title: '5a. join with a wrong token (exit 2) or to an unreachable manager (exit 5): nothing changed',
      async run(r) {
        assert.ok(join, 'no join command from step 1');
        const spare = await r.cluster.addVps('spare', 'bookworm', 9);
        try {
          await spare.session.upload();
          // same swarm, a secret that is not its own: well-formed, wrong
          const parts = join.token.split('-');
          parts[parts.length - 1] = 'x'.repeat((parts[parts.length - 1] ?? '').length);
          const wrong = await spare.session.installer(['--swarm', 'join', '--manager', join.manager, '--yes'], {
            env: { AI_PROXY_SWARM_TOKEN: parts.join('-') },
          });
          assert.equal(wrong.code, 2, `a wrong token: exit ${wrong.code}\n${wrong.output.slice(-1500)}`);
          assertOneLineError(wrong.output, /token/i);
          assert.equal(await swarmState(spare), 'inactive', 'not left half-joined');
          assert.equal(
            (await spare.session.vps.execOk('docker images -q ai-proxy')).stdout.trim(),
            '',
            'no ai-proxy image is left',
          );
          const away = await spare.session.installer(
            ['--swarm', 'join', '--manager', `${r.cluster.subnet}.250:2377`, '--yes'],
            { env: { AI_PROXY_SWARM_TOKEN: join.token } },
          );
          assert.equal(away.code, 5, `an unreachable manager: exit ${away.code}\n${away.output.slice(-1500)}`);
          assertOneLineError(away.output, /manager/);
          assert.equal(await swarmState(spare), 'inactive', 'not left half-joined');
          assert.equal(
            (await spare.session.vps.execOk('docker images -q ai-proxy')).stdout.trim(),
            '',
            'no ai-proxy image is left',
          );
          assert.equal((await r.cluster.waitNodes('ready', 3)).length, 3, 'the swarm still has its 3 nodes, no fourth');
          r.note = `wrong token: "${lastLine(wrong.output)}" (${secs(wrong.ms)}); unreachable: "${lastLine(away.output)}" (${secs(away.ms)})`;
          r.code = away.code;
        } finally {
          await r.cluster.removeVps(spare);
        }
      },
    },
    {
      title: '5b. init on a worker (exit 2), upgrade while the workers lack the image (exit 12): nothing changed',
      async run(r) {
        const { cluster } = r;
        const worker = cluster.workers[0];
        assert.ok(worker);
        const before = await service(cluster);
        const onWorker = await worker.session.installer(['--swarm', 'init', '--yes']);
        assert.equal(onWorker.code, 2, `init on a worker: exit ${onWorker.code}\n${onWorker.output.slice(-1500)}`);
        assertOneLineError(onWorker.output, /worker/);
        assert.equal(await swarmState(worker), 'active', 'the worker is still in the swarm');
        const next = await nextRelease();
        await cluster.manager.session.upload(next.release);
        const lacking = await cluster.manager.session.installer(['--swarm', 'upgrade', '--yes']);
        assert.equal(
          lacking.code,
          12,
          `upgrade with the image on the manager only: exit ${lacking.code}\n${lacking.output.slice(-1500)}`,
        );
        assertOneLineError(lacking.output, /missing/);
        const hostnames = (await cluster.nodeStates()).filter((s) => s.role === 'worker').map((s) => s.hostname);
        for (const h of hostnames)
          assert.ok(lacking.output.includes(h), `the error names the node lacking the image (${h})`);
        const after = await service(cluster);
        assert.equal(after.Version?.Index, before.Version?.Index, 'the service was not touched');
        for (const n of cluster.nodes) await assertNodeServes(n, r.token);
        r.note = `init on a worker: "${lastLine(onWorker.output)}"; image missing: "${lastLine(lacking.output)}"`;
        r.code = lacking.code;
      },
    },
    {
      title: '3. rolling upgrade to another release build: through a load balancer no request fails, no stream is cut',
      async run(r) {
        const { cluster } = r;
        const next = await nextRelease();
        await cluster.upload(next.release, cluster.workers);
        const took: string[] = [];
        const balanced = await throughBalancer(cluster, r.token, async () => {
          const probe = SwarmProbe.start(cluster.nodes, PORT);
          for (const n of [...cluster.workers, cluster.manager]) {
            const u = await n.session.installer(['--swarm', 'upgrade', '--yes']);
            r.code = u.code;
            assert.equal(u.code, 0, `node ${n.index + 1}: --swarm upgrade exited ${u.code}\n${u.output.slice(-1500)}`);
            took.push(`node ${n.index + 1} ${secs(u.ms)}`);
          }
          await cluster.waitConverged();
          return probe.stop();
        });
        const results = balanced.value;
        r.note = `${describeBalanced(balanced)}; without a load balancer, /ping on each node: ${describeProbes(results)}; upgrade runs: ${took.join(', ')}`;
        assertNoClientFailure(balanced, 'the rolling upgrade');
        assertEveryNodeLeftAndCameBack(balanced);
        // Without a load balancer each node is off while its old task finishes its streams
        // (after DRAIN_DELAY, up to the ~12 s of a stream, then 5 s without a request): generous
        // bounds, BENCHMARKS.md quotes the figures from this note.
        for (const p of results) {
          assert.ok(p.probes >= 100, `node ${p.node}: only ${p.probes} probes ran during the upgrade`);
          assert.ok(p.longestGapMs <= 60_000, `node ${p.node} was off for ${p.longestGapMs} ms (bound 60 s)`);
          assert.ok(
            p.failures <= p.probes * 0.5,
            `node ${p.node}: ${p.failures} of ${p.probes} probes failed (bound 50%)`,
          );
        }
        for (const n of cluster.nodes) {
          await assertTaskHardened(cluster, n, next.version);
          await assertNodeServes(n, r.token);
        }
        assert.equal((await service(cluster)).Spec?.Labels?.['ai-proxy.version'], next.version);
        assert.ok(
          (await cluster.manager.session.vps.exec(`test -d ${CONFIG_DIR}`)).code === 0,
          `${CONFIG_DIR} is kept`,
        );
      },
    },
    {
      title:
        '4. an update whose task cannot start on one node is rolled back by Swarm (exit 13); the previous one keeps serving',
      async run(r) {
        // the cause is real: another program on the last worker holds the new port, so the new
        // task there fails to publish it; the manager's own port check cannot see other nodes
        const { cluster } = r;
        const holder = cluster.workers[cluster.workers.length - 1];
        assert.ok(holder);
        await holder.session.vps.execDetached(PORT_HOLDER);
        await holder.session.vps.waitFor(`ss -ltn | grep -q ':${HELD_PORT} '`, 10_000, 'the port holder did not start');
        try {
          const before = await service(cluster);
          const version = before.Spec?.Labels?.['ai-proxy.version'];
          const probe = SwarmProbe.start(cluster.nodes, PORT);
          const u = await cluster.manager.session.installer([
            '--swarm',
            'upgrade',
            '--port',
            String(HELD_PORT),
            '--yes',
          ]);
          r.code = u.code;
          await cluster.waitConverged();
          const results = await probe.stop();
          assert.equal(u.code, 13, `an update Swarm rolled back: exit ${u.code}\n${u.output.slice(-1500)}`);
          const after = await service(cluster);
          assert.equal(
            after.Spec?.Labels?.['ai-proxy.version'],
            version,
            'the service is back on its previous version',
          );
          assert.deepEqual(
            after.Spec?.EndpointSpec?.Ports?.map((p) => p.PublishedPort),
            [PORT],
            'the service is back on its previous port',
          );
          for (const n of cluster.nodes) {
            await assertNodeServes(n, r.token);
            if (version) await assertTaskHardened(cluster, n, version);
          }
          r.note = `"${lastLine(u.output)}" after ${secs(u.ms)}; ${describeProbes(results)}`;
        } finally {
          await holder.session.vps.exec(`pkill -f 'LocalPort => ${HELD_PORT}'`);
        }
      },
    },
    {
      title:
        '4b. an update whose task is never ready (no usable provider) is rolled back by Swarm (exit 13); through a load balancer no request fails',
      async run(r) {
        const { cluster } = r;
        const m = cluster.manager.session.vps;
        const path = `${CONFIG_DIR}/provider-config.yaml`;
        const good = await m.readFile(path);
        const before = await service(cluster);
        // `cat >` keeps the file's owner and mode, as an editor saving in place would
        await m.execOk(`cat > ${path}`, { input: PROVIDER_WITHOUT_KEY });
        const balanced = await throughBalancer(cluster, r.token, async () => {
          const probe = SwarmProbe.start(cluster.nodes, PORT);
          const u = await cluster.manager.session.installer(['--swarm', 'upgrade', '--yes']);
          await cluster.waitConverged();
          return { u, probes: await probe.stop() };
        });
        const { u, probes } = balanced.value;
        r.code = u.code;
        r.note = `"${lastLine(u.output)}" after ${secs(u.ms)}; ${describeBalanced(balanced)}; without a load balancer, /ping on each node: ${describeProbes(probes)}`;
        assert.equal(u.code, 13, `an update Swarm rolled back: exit ${u.code}\n${u.output.slice(-1500)}`);
        // the installer restores the files as it found them: the operator's edit stays for them to fix
        assert.equal(await m.readFile(path), PROVIDER_WITHOUT_KEY, `${path} is left as the operator wrote it`);
        await m.execOk(`cat > ${path}`, { input: good });
        const after = await service(cluster);
        assert.equal(after.Spec?.Labels?.['ai-proxy.config-hash'], before.Spec?.Labels?.['ai-proxy.config-hash']);
        assertNoClientFailure(balanced, 'the rolled-back update');
        for (const n of cluster.nodes) await assertNodeServes(n, r.token);
      },
    },
    {
      title: '6. --swarm leave on a worker, --uninstall then --purge on the manager',
      async run(r) {
        const { cluster } = r;
        const leaver = cluster.workers[cluster.workers.length - 1];
        assert.ok(leaver);
        const leave = await leaver.session.installer(['--swarm', 'leave', '--yes']);
        assert.equal(leave.code, 0, `--swarm leave exited ${leave.code}`);
        assert.equal(await swarmState(leaver), 'inactive', 'the worker left');
        await cluster.waitNodes('down', 1);
        const m = cluster.manager.session;
        const un = await m.installer(['--uninstall', '--yes']);
        assert.equal(un.code, 0, `--uninstall exited ${un.code}`);
        assert.notEqual((await m.vps.exec(`docker service inspect ${SERVICE}`)).code, 0, 'the service is gone');
        for (const n of cluster.nodes.filter((x) => x !== leaver)) {
          await n.session.vps.waitFor(
            `! curl -s -m 2 http://127.0.0.1:${PORT}/ping`,
            60_000,
            `node ${n.index + 1} still answers after --uninstall`,
          );
        }
        const kept = (
          await m.vps.execOk(`docker secret ls --format '{{.Name}}'; docker config ls --format '{{.Name}}'`)
        ).stdout;
        assert.match(kept, /ai-proxy-/, 'without --purge the secrets and configs stay');
        const purge = await m.installer(['--uninstall', '--purge', '--yes']);
        r.code = purge.code;
        assert.equal(purge.code, 0, `--uninstall --purge exited ${purge.code}`);
        const left = (
          await m.vps.execOk(`docker secret ls --format '{{.Name}}'; docker config ls --format '{{.Name}}'`)
        ).stdout;
        assert.doesNotMatch(left, /ai-proxy-/, `--purge removes the secrets and configs: ${left}`);
        assert.equal(await m.vps.fileExists(CONFIG_DIR), false, `--purge removes ${CONFIG_DIR}`);
        r.note = `leave ${secs(leave.ms)}, uninstall ${secs(un.ms)}, purge ${secs(purge.ms)}`;
      },
    },
  ];
}
