// The upgrade downtime benchmark (goal: <= 2 s without an answer on /ping): one simulated fresh
// Debian 12 VPS (test/vps) with the release installed, then upgrades back and forth between it
// and a second real release build, a /ping probe every ~20 ms inside the VPS during each. The
// figure is the longest stretch between two answered probes; the tests only bound it loosely.
//   node --import tsx bench/upgrade.ts [--upgrades 4]
// Needs: a Docker engine, root, the release (pkg/ or VPS_RELEASE_DIR).
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { currentRelease, missingArtifacts } from '../test/vps/lib/artifacts.ts';
import { ensureImages } from '../test/vps/lib/images.ts';
import { recipe } from '../test/vps/lib/recipes.ts';
import { nextRelease, releaseVersion } from '../test/vps/lib/next-release.ts';
import { removeStale } from '../test/vps/lib/vps.ts';
import { Session } from '../test/vps/lib/session.ts';
import { startProbe, stopProbe } from '../test/vps/lib/probe.ts';

const GOAL_MS = 2000;
const log = (m: string) => process.stderr.write(`[bench upgrade] ${m}\n`);

const { values } = parseArgs({ options: { upgrades: { type: 'string', default: '4' } } });
const upgrades = Number(values.upgrades);
if (!Number.isInteger(upgrades) || upgrades < 1) throw new Error('--upgrades must be a whole number >= 1');

const first = currentRelease();
const missing = missingArtifacts(first);
if (missing.length) throw new Error(`release artifacts missing (${missing.join(', ')}): run npm run release`);

await removeStale();
await ensureImages([recipe('bookworm')], 1, log);
const second = await nextRelease();
const releases = [
  { release: first, version: await releaseVersion(first) },
  { release: second.release, version: second.version },
];
const s = await Session.open('bookworm', { name: 'bench-upgrade' });
const rows: { to: string; gapMs: number; failed: string; installerS: number }[] = [];
try {
  await s.upload(first);
  const installed = await s.installer(['--yes']);
  if (installed.code !== 0) throw new Error(`the first install failed:\n${installed.output}`);
  for (let i = 1; i <= upgrades; i++) {
    const target = releases[i % 2]!;
    await s.upload(target.release);
    await startProbe(s.vps, 8080, 0.02);
    const r = await s.installer(['--yes']);
    const probe = await stopProbe(s.vps);
    if (r.code !== 0) throw new Error(`upgrade ${i} to ${target.version} failed (exit ${r.code}):\n${r.output}`);
    rows.push({
      to: target.version,
      gapMs: probe.longestGapMs,
      failed: `${probe.failures}/${probe.probes}`,
      installerS: r.ms / 1000,
    });
    log(`upgrade ${i} to ${target.version}: longest gap ${probe.longestGapMs} ms`);
  }
} finally {
  await s.close();
}

const worst = Math.max(...rows.map((r) => r.gapMs));
const sorted = rows.map((r) => r.gapMs).sort((a, b) => a - b);
const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
console.log(`## Upgrade downtime, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
console.log(
  `\nDebian 12 VPS (test/vps), probe every ~20 ms inside it; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the end.\n`,
);
console.log('| upgrade | to version | longest gap (ms) | probes failed | installer (s) |');
console.log('|---|---|---|---|---|');
rows.forEach((r, i) => {
  console.log(`| ${i + 1} | ${r.to} | ${r.gapMs} | ${r.failed} | ${r.installerS.toFixed(1)} |`);
});
console.log(
  `\nupgrade downtime: median ${(median / 1000).toFixed(2)} s, worst ${(worst / 1000).toFixed(2)} s of ${rows.length}: goal <= ${GOAL_MS / 1000} s ${worst <= GOAL_MS ? 'met' : 'NOT met'}`,
);
process.exitCode = worst <= GOAL_MS ? 0 : 1;
