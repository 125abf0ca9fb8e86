// The zero-downtime promise on a fresh VPS, under a steady load from a client that never
// retries (lib/load.ts: 20 requests/s from the test process to the VPS's published port, half of
// them 13 s streams, longer than Docker's 10 s stop timeout, from a slow upstream in the test
// process). Three runs an operator makes, chained on one installation: a reconfiguration that
// keeps the port, an upgrade that fails (the new release never becomes healthy, exit 13), and
// an upgrade to another release build. None may fail a request or cut a stream, and the
// answers must show which proxy served them: the old one, then the new one (or only the old
// one when the upgrade failed), so a run that replaced nothing cannot pass.
import assert from 'node:assert/strict';
import type { Case } from '../lib/scenario.ts';
import type { InstallerRun, Session } from '../lib/session.ts';
import type { Vps } from '../lib/vps.ts';
import { CONFIG_DIR, assertInstalled } from '../lib/installed.ts';
import { describeLoad, failedCount, Load, type LoadReport } from '../lib/load.ts';
import { INSTANCE_HEADER, addSlowUpstream, slowUpstream, type SlowUpstream } from '../lib/slow-upstream.ts';
import { nextRelease } from '../lib/next-release.ts';
import { brokenRelease } from '../lib/broken-release.ts';
import { assertRolledBack, configDigest, snapshot } from '../lib/rollback.ts';
import { expected } from './expected.ts';

const RATE = 20;
/** load before the installer starts and after it returns: both proxies answer within it */
const LEAD_MS = 3000;
const TAIL_MS = 2000;
/** what the reconfiguration sets: a drain bound an operator picks for long streams */
export const RECONFIGURED_DRAIN_TIMEOUT = 120;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** AI_PROXY_INSTANCE of the container now named ai-proxy: the name its health answers carry. */
async function servingInstance(vps: Vps): Promise<string> {
  const env = (await vps.inspect('ai-proxy'))?.Config?.Env ?? [];
  const instance = env.find((e) => e.startsWith('AI_PROXY_INSTANCE='))?.slice('AI_PROXY_INSTANCE='.length);
  assert.ok(instance, `ai-proxy has no AI_PROXY_INSTANCE: ${JSON.stringify(env)}`);
  return instance;
}

async function ensureUpstream(s: Session, port: number): Promise<SlowUpstream> {
  try {
    return slowUpstream(s.vps);
  } catch {
    return addSlowUpstream(s.vps, port);
  }
}

interface Measured {
  run: InstallerRun;
  report: LoadReport;
  /** the proxy that served before the run and the one that serves after it */
  before: string;
  after: string;
}

/** Runs the installer while the load runs; the load ends when its last stream has. */
async function underLoad(s: Session, port: number, installer: () => Promise<InstallerRun>): Promise<Measured> {
  const upstream = await ensureUpstream(s, port);
  const before = await servingInstance(s.vps);
  const load = Load.start({
    host: upstream.host,
    port: upstream.port,
    ratePerSecond: RATE,
    mix: upstream.mix,
    countHeader: INSTANCE_HEADER,
  });
  let run: InstallerRun;
  try {
    await sleep(LEAD_MS);
    run = await installer();
    await sleep(TAIL_MS);
  } catch (error) {
    await load.stop();
    throw error;
  }
  const report = await load.stop();
  const after = await servingInstance(s.vps);
  s.note = `${describeLoad(report)}; installer ${(run.ms / 1000).toFixed(1)} s`;
  return { run, report, before, after };
}

/** No failed request, no cut stream, streams that outlived a stop timeout. */
function assertUndisturbed({ report }: Measured): void {
  assert.equal(failedCount(report), 0, `${describeLoad(report)}: ${report.examples.join('; ')}`);
  assert.equal(report.streams.cut, 0, describeLoad(report));
  assert.ok(report.streams.finished >= 20, `only ${report.streams.finished} streams finished`);
  assert.ok(report.streams.longestMs > 10_000, `the longest stream took ${report.streams.longestMs} ms, not over 10 s`);
}

/** The old proxy answered, then the new one: the run replaced the proxy under the load. */
function assertHandedOver(m: Measured): void {
  assert.notEqual(m.after, m.before, 'another proxy serves after the run');
  assert.ok(
    (m.report.answeredBy[m.before] ?? 0) > 0,
    `the old proxy answered none: ${JSON.stringify(m.report.answeredBy)}`,
  );
  assert.ok(
    (m.report.answeredBy[m.after] ?? 0) > 0,
    `the new proxy answered none: ${JSON.stringify(m.report.answeredBy)}`,
  );
}

const envLines = (text: string) => text.split('\n').filter((l) => !/^\s*DRAIN_TIMEOUT\s*=/.test(l));

/**
 * `--drain-timeout 120` on a running installation: the installer writes DRAIN_TIMEOUT into .env
 * (the only line that changes), so the configuration differs from the deployed one and the proxy
 * is recreated on the same port, with the hand-over; the installer waits for the old proxy.
 */
export async function reconfigureUnderLoad(s: Session, port: number): Promise<void> {
  await ensureUpstream(s, port);
  const envBefore = await s.vps.readFile(`${CONFIG_DIR}/.env`);
  const providers = (await configDigest(s.vps)).split('\n').find((l) => l.endsWith('provider-config.yaml'));
  const m = await underLoad(s, port, () =>
    s.installer(['--yes', '--drain-timeout', String(RECONFIGURED_DRAIN_TIMEOUT)]),
  );
  assert.equal(m.run.code, 0);
  assertUndisturbed(m);
  assertHandedOver(m);
  assert.match(m.run.output, /recreated with the new settings: the new one starts beside it/);
  assert.match(m.run.output, /the old one drains as ai-proxy-draining-[0-9a-f]{12}/);
  assert.match(m.run.output, /exited with code 0 after/, 'the installer waited for the old proxy to finish');
  const envAfter = await s.vps.readFile(`${CONFIG_DIR}/.env`);
  assert.match(envAfter, new RegExp(`^DRAIN_TIMEOUT=${RECONFIGURED_DRAIN_TIMEOUT}$`, 'm'));
  assert.deepEqual(envLines(envAfter), envLines(envBefore), 'only DRAIN_TIMEOUT changed in .env');
  assert.ok((await configDigest(s.vps)).split('\n').includes(providers ?? ''), 'provider-config.yaml is untouched');
  await assertInstalled(s.vps, { port, version: expected.version });
  const left = (await s.vps.execOk(`docker ps -a --format '{{.Names}}'`)).stdout;
  assert.doesNotMatch(left, /ai-proxy-draining-/, 'the drained proxy was removed');
}

/** A release whose proxy cannot start: exit 13, the old proxy served every request, all rolled back. */
export async function failedUpgradeUnderLoad(s: Session, port: number): Promise<number> {
  const broken = await brokenRelease();
  await s.upload(broken.release, '/root/broken');
  await ensureUpstream(s, port);
  const before = await snapshot(s.vps, port);
  const m = await underLoad(s, port, () => s.installer(['--yes'], { dir: '/root/broken' }));
  assert.equal(m.run.code, 13, m.run.output.slice(-2000));
  assert.match(m.run.output, /health check/);
  assertUndisturbed(m);
  assert.equal(m.after, m.before, 'the old proxy still serves');
  assert.deepEqual(Object.keys(m.report.answeredBy), [m.before], 'only the old proxy answered');
  await assertRolledBack(s.vps, before);
  return m.run.code;
}

/** The second release build over the first: the new version serves, the config is kept byte for byte. */
export async function upgradeUnderLoad(s: Session, port: number): Promise<void> {
  const next = await nextRelease();
  if (next.seconds)
    console.log(`# second release ${next.version} built from a clone of HEAD in ${next.seconds.toFixed(1)} s`);
  await ensureUpstream(s, port);
  const config = await configDigest(s.vps);
  const oldImage = (await s.vps.inspect('ai-proxy'))?.Image;
  await s.upload(next.release);
  const m = await underLoad(s, port, () => s.installer(['--yes']));
  assert.equal(m.run.code, 0);
  assertUndisturbed(m);
  assertHandedOver(m);
  assert.match(m.run.output, new RegExp(`ai-proxy ${expected.version.replace(/\./g, '\\.')} will be replaced`));
  await assertInstalled(s.vps, { port, version: next.version });
  assert.equal(await configDigest(s.vps), config, 'the configuration survived the upgrade byte for byte');
  assert.ok(await s.vps.inspect(oldImage), 'the previous image is kept (one step back stays possible)');
}

/** The three runs, in an order that chains: the drain wait of the first leaves no old proxy behind. */
export function underLoadCases(port: number): Case[] {
  return [
    {
      title: `reconfiguration under load (--drain-timeout ${RECONFIGURED_DRAIN_TIMEOUT}, same port)`,
      run: (s) => reconfigureUnderLoad(s, port),
    },
    { title: 'failed upgrade under load (exit 13)', run: (s) => failedUpgradeUnderLoad(s, port) },
    { title: 'upgrade to another release build under load', run: (s) => upgradeUnderLoad(s, port) },
  ];
}
