// The upgrade benchmark: one simulated fresh Debian 12 VPS (test/vps), upgrades under a /ping probe
// every ~20 ms inside it, each row an upgrade with its failed probes, the longest stretch between
// two answered probes and the installer's time. With --before REF, the rows start with the
// installer of that commit (one container, stopped then started: the "before" figures), then
// this installer's first run over it (the one-time move to the holder), then this installer's
// upgrades (the new proxy beside the old one: the "after" figures), all in one run.
//   node --import tsx bench/upgrade.ts [--before 5ce4e17] [--upgrades 4]
// Needs: a Docker engine, root, the release (pkg/ or VPS_RELEASE_DIR).
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { currentRelease, missingArtifacts, type Release } from '../test/vps/lib/artifacts.ts';
import { ensureImages } from '../test/vps/lib/images.ts';
import { recipe } from '../test/vps/lib/recipes.ts';
import { nextRelease, releaseVersion } from '../test/vps/lib/next-release.ts';
import { removeStale } from '../test/vps/lib/vps.ts';
import { Session } from '../test/vps/lib/session.ts';
import { startProbe, stopProbe } from '../test/vps/lib/probe.ts';
import { releaseAt, withVersion } from './lib/releases.ts';

const log = (m: string) => process.stderr.write(`[bench upgrade] ${m}\n`);

const { values } = parseArgs({
  options: { upgrades: { type: 'string', default: '4' }, before: { type: 'string' } },
});
const upgrades = Number(values.upgrades);
if (!Number.isInteger(upgrades) || upgrades < 1) throw new Error('--upgrades must be a whole number >= 1');

const first = currentRelease();
const missing = missingArtifacts(first);
if (missing.length) throw new Error(`release artifacts missing (${missing.join(', ')}): run npm run release`);

type Kind = 'before' | 'move to the holder' | 'after';
interface Row {
  kind: Kind;
  to: string;
  failed: number;
  probes: number;
  gapMs: number;
  installerS: number;
}

await removeStale();
await ensureImages([recipe('bookworm')], 1, log);
const second = await nextRelease();
const after = [
  { release: first, version: await releaseVersion(first) },
  { release: second.release, version: second.version },
];
const before = values.before
  ? await (async () => {
      log(`building the release of ${values.before} (the installer before the holder)`);
      const old = await releaseAt(values.before!, '0.0.8');
      return [
        { release: old, version: '0.0.8' },
        { release: await withVersion(old, '0.0.9'), version: '0.0.9' },
      ];
    })()
  : undefined;

const s = await Session.open('bookworm', { name: 'bench-upgrade' });
const rows: Row[] = [];
async function upgrade(kind: Kind, target: { release: Release; version: string }): Promise<void> {
  await s.upload(target.release);
  await startProbe(s.vps, 8080, 0.02);
  const r = await s.installer(['--yes']);
  const probe = await stopProbe(s.vps);
  if (r.code !== 0) throw new Error(`upgrade to ${target.version} failed (exit ${r.code}):\n${r.output}`);
  rows.push({
    kind,
    to: target.version,
    failed: probe.failures,
    probes: probe.probes,
    gapMs: probe.longestGapMs,
    installerS: r.ms / 1000,
  });
  log(`${kind}: to ${target.version}, ${probe.failures} failed probes, longest gap ${probe.longestGapMs} ms`);
}
try {
  const start = before?.[0] ?? after[0]!;
  await s.upload(start.release);
  const installed = await s.installer(['--yes']);
  if (installed.code !== 0) throw new Error(`the first install failed:\n${installed.output}`);
  if (before) {
    await upgrade('before', before[1]!);
    await upgrade('move to the holder', after[0]!);
  }
  for (let i = 1; i <= upgrades; i++) await upgrade('after', after[i % 2]!);
} finally {
  await s.close();
}

console.log(`## Upgrades, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
console.log(
  `\nDebian 12 VPS (test/vps), /ping probe every ~20 ms inside it; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the end.\n`,
);
console.log('| upgrade | installer | to version | probes failed | longest gap (ms) | installer (s) |');
console.log('|---|---|---|---|---|---|');
rows.forEach((r, i) => {
  console.log(`| ${i + 1} | ${r.kind} | ${r.to} | ${r.failed}/${r.probes} | ${r.gapMs} | ${r.installerS.toFixed(1)} |`);
});
const handOvers = rows.filter((r) => r.kind === 'after');
const failed = handOvers.reduce((n, r) => n + r.failed, 0);
console.log(
  `\nhand-over upgrades: ${failed} failed probes in ${handOvers.length} upgrades, longest gap ${Math.max(...handOvers.map((r) => r.gapMs))} ms: goal 0 failed ${failed === 0 ? 'met' : 'NOT met'}`,
);
process.exitCode = failed === 0 ? 0 : 1;
