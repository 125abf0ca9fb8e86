// Issue #8 on simulated VPSes: three Debian 12 VPSes on one network made into a Docker Swarm
// by the real installer.sh (`--swarm init` on the first, the printed `--swarm join` on the
// others), then a node switched off, bad input, a rolling upgrade with a probe loop on every
// node, an update Swarm rolls back by itself, and the way out (uninstall, leave). One group:
// the steps chain on the same swarm and a failed step skips the rest, so the first failing row
// is the step that broke.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { record } from '../lib/report.ts';
import { recipe } from '../lib/recipes.ts';
import { MiB, chat, contentOf } from '../lib/installed.ts';
import { SwarmProbe, SwarmVpses, describeProbes, type SwarmNode } from '../lib/swarm.ts';
import { swarmInstallerSteps } from './swarm-installer.ts';
import { installerHasSwarm } from '../lib/swarm-install.ts';
import { closeSlowUpstream } from './swarm-balanced.ts';

const RECIPE = 'bookworm';
const PORT = 8080;
const ORDER_BASE = 1000;

/** What the steps share: the VPSes, the token clients send, and the note for the current row. */
export interface SwarmRun {
  cluster: SwarmVpses;
  token: string;
  note?: string;
  /** the installer exit code the step was about */
  code?: number;
}

export interface SwarmStep {
  title: string;
  run: (r: SwarmRun) => Promise<void>;
}

/** /ping and an authenticated echo completion on one node, asked from inside that node. */
export async function assertNodeServes(node: SwarmNode, token: string, port = PORT): Promise<void> {
  const vps = node.session.vps;
  const ping = await vps.exec(`curl -sS -m 5 -w ' %{http_code}' http://127.0.0.1:${port}/ping`);
  assert.match(ping.stdout, / 200$/, `node ${node.index + 1}: GET /ping answered: ${ping.output}`);
  const nonce = `swarm-${node.index + 1}-${Math.random().toString(36).slice(2)}`;
  const [status, answer] = await chat(vps, port, token, 'echo', nonce);
  assert.equal(
    status,
    200,
    `node ${node.index + 1}: the authenticated echo request answered ${status}: ${JSON.stringify(answer)}`,
  );
  assert.equal(contentOf(answer), nonce, `node ${node.index + 1}: the echo model did not repeat the message`);
  const [anonymous] = await chat(vps, port, undefined, 'echo', nonce);
  assert.equal(anonymous, 401, `node ${node.index + 1}: a request without the token must be refused`);
}

/** The contract's hardening, read back with `docker inspect` of the task's container on its node. */
export async function assertTaskHardened(cluster: SwarmVpses, node: SwarmNode, version: string): Promise<void> {
  const c = await cluster.taskContainer(node);
  const where = `node ${node.index + 1}`;
  assert.ok(c?.HostConfig && c.Config, `${where}: no running task container of the service`);
  const h = c.HostConfig;
  assert.equal(c.Config.User, '1001:1001', `${where}: runs as 1001:1001`);
  assert.equal(h.ReadonlyRootfs, true, `${where}: read-only root filesystem`);
  assert.deepEqual(h.CapDrop, ['ALL'], `${where}: all capabilities dropped`);
  assert.ok(!h.CapAdd || h.CapAdd.length === 0, `${where}: no capability added back`);
  assert.equal(h.Memory, 512 * MiB, `${where}: memory 512 MiB`);
  assert.ok((h.PidsLimit ?? 0) > 0, `${where}: a pids limit: ${h.PidsLimit}`);
  assert.equal(h.NanoCpus, 500_000_000, `${where}: 0.5 CPU`);
  assert.equal(h.Init, true, `${where}: an init process`);
  assert.equal(h.Privileged, false, `${where}: not privileged`);
  assert.equal(h.LogConfig?.Type, 'json-file', `${where}: json-file logs`);
  assert.ok(
    h.LogConfig?.Config?.['max-size'] && h.LogConfig?.Config?.['max-file'],
    `${where}: log rotation: ${JSON.stringify(h.LogConfig)}`,
  );
  const tmp = (c.Mounts ?? []).find((m) => m.Destination === '/tmp');
  assert.equal(tmp?.Type, 'tmpfs', `${where}: /tmp is a tmpfs: ${JSON.stringify(c.Mounts)}`);
  assert.deepEqual(
    (c.Mounts ?? []).map((m) => m.Destination).sort(),
    ['/tmp'],
    `${where}: no volume or bind mount besides /tmp (secrets and the config are files of the engine): ${JSON.stringify(c.Mounts)}`,
  );
  for (const [mode, value] of [
    ['NetworkMode', h.NetworkMode],
    ['PidMode', h.PidMode],
    ['IpcMode', h.IpcMode],
  ]) {
    assert.notEqual(value, 'host', `${where}: ${mode} is not host`);
  }
  const image = await node.session.vps.inspect(c.Image);
  assert.ok(
    image?.RepoTags?.includes(`ai-proxy:${version}`),
    `${where}: the task runs ai-proxy:${version}: ${JSON.stringify(image?.RepoTags)}`,
  );
}

/** Step 2: one VPS switched off; the others keep serving and the manager reports it down. */
export async function stopOneVps(r: SwarmRun): Promise<void> {
  const { cluster } = r;
  const victim = cluster.nodes[cluster.nodes.length - 1];
  assert.ok(victim && victim !== cluster.manager, 'needs a worker to switch off');
  const others = cluster.nodes.filter((n) => n !== victim);
  const probe = SwarmProbe.start(others, PORT);
  const stopped = Date.now();
  await cluster.stopVps(victim);
  const states = await cluster.waitNodes('down', 1);
  const downAfter = (Date.now() - stopped) / 1000;
  const results = await probe.stop();
  r.note = `node ${victim.index + 1} reported down after ${downAfter.toFixed(1)} s; ${describeProbes(results)}`;
  for (const p of results)
    assert.equal(
      p.failures,
      0,
      `node ${p.node} failed ${p.failures} of ${p.probes} requests while another VPS was off`,
    );
  assert.equal(
    states.filter((s) => s.state === 'ready').length,
    cluster.nodes.length - 1,
    `the others stay ready: ${JSON.stringify(states)}`,
  );
  for (const n of others) await assertNodeServes(n, r.token);
  // back on for the steps that follow: the swarm takes it in again and its task restarts
  await cluster.startVps(victim);
  await cluster.waitNodes('ready', cluster.nodes.length, 120_000);
  await cluster.waitConverged([victim]);
  await assertNodeServes(victim, r.token);
}

const only = process.env.VPS_ONLY ? new RegExp(process.env.VPS_ONLY, 'i') : undefined;

export function swarmScenarios(): void {
  if (only && !only.test(`swarm ${RECIPE}`)) return;
  const release = `${recipe(RECIPE).release} ${RECIPE}`;
  describe(`swarm of 3 VPSes [debian ${release}]`, { concurrency: 1, timeout: 40 * 60_000 }, () => {
    const run: SwarmRun = { cluster: undefined as unknown as SwarmVpses, token: '' };
    let broken: string | undefined;
    let order = ORDER_BASE;
    before(async () => {
      const started = Date.now();
      let ok = false;
      try {
        run.cluster = await SwarmVpses.start(3, 'main', RECIPE);
        await run.cluster.manager.session.upload();
        if (!(await installerHasSwarm(run.cluster.manager)))
          throw new Error(
            'the release under test has no --swarm (installer.sh --help does not list it): rebuild it from this tree',
          );
        ok = true;
      } finally {
        record({
          order: order++,
          scenario: 'swarm: 3 VPSes on one network',
          release,
          exitCode: undefined,
          seconds: (Date.now() - started) / 1000,
          status: ok ? 'pass' : 'FAIL',
        });
      }
    });
    after(async () => {
      if (broken && process.env.VPS_KEEP === '1')
        console.log(`# kept for inspection: ${run.cluster?.nodes.map((n) => n.session.vps.name).join(' ')}`);
      else await run.cluster?.remove();
      await closeSlowUpstream();
    });
    for (const step of swarmInstallerSteps()) {
      test(step.title, { timeout: 10 * 60_000 }, async (t) => {
        if (broken) {
          t.skip(`"${broken}" failed`);
          return;
        }
        const started = Date.now();
        run.note = undefined;
        run.code = undefined;
        let ok = false;
        try {
          await step.run(run);
          ok = true;
        } catch (error) {
          broken = step.title;
          if (error instanceof Error) error.message += `\n${await run.cluster.evidence().catch(() => '')}`;
          throw error;
        } finally {
          record({
            order: order++,
            scenario: `swarm: ${step.title}`,
            release,
            exitCode: run.code,
            seconds: (Date.now() - started) / 1000,
            status: ok ? 'pass' : 'FAIL',
            ...(run.note ? { note: run.note } : {}),
          });
        }
      });
    }
  });
}
