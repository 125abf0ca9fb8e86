// The fresh-VPS suite: the real pkg/ artifacts copied onto simulated Debian hosts and installed
// there as an operator would. One entry file, so one process schedules the VPS containers
// (VPS_CONCURRENCY at a time, default 2 for 2 cores) and prints one table at the end.
// VPS_ONLY=<regex> registers only the scenarios (or groups) whose "title release" matches.
import { after, before, describe, test } from 'node:test';
import { RECIPES } from './lib/recipes.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, describePhases, ensureImages, pruneStale } from './lib/images.ts';
import { removeStale } from './lib/vps.ts';
import { REQUIRE_E2E, missingPrerequisite } from './lib/preconditions.ts';
import { currentRelease } from './lib/artifacts.ts';
import { releaseVersion } from './lib/next-release.ts';
import { formatTable, recorded } from './lib/report.ts';
import { closeSlowUpstreams } from './lib/slow-upstream.ts';
import { expected } from './scenarios/expected.ts';
import { installScenarios } from './scenarios/install.ts';
import { failureScenarios } from './scenarios/failures.ts';
import { interruptedScenarios } from './scenarios/interrupted.ts';
import { interactiveScenarios } from './scenarios/interactive.ts';
import { swarmScenarios } from './scenarios/swarm.ts';
import { httpsScenarios } from './scenarios/https.ts';
import { rebootScenarios } from './scenarios/reboot.ts';

const missing = await missingPrerequisite(RECIPES);
const started = Date.now();
// A narrowed run must never pass for the whole suite: `sudo -E` passes VPS_ONLY through to CI.
const narrowed =
  process.env.VPS_ONLY && (REQUIRE_E2E || process.env.CI === 'true')
    ? `VPS_ONLY=${process.env.VPS_ONLY} is set with ${REQUIRE_E2E ? 'REQUIRE_E2E=1' : 'CI=true'}: CI runs every scenario; unset VPS_ONLY`
    : undefined;

if (narrowed) {
  test('fresh-VPS suite: every scenario registered', () => {
    throw new Error(narrowed);
  });
} else if (missing) {
  // a skipped test, not a skipped suite: node then counts it, and the reason shows in every reporter
  test('fresh-VPS suite', { skip: REQUIRE_E2E ? false : `fresh-VPS suite skipped: ${missing}` }, () => {
    throw new Error(`REQUIRE_E2E=1 and ${missing}`);
  });
} else {
  describe('fresh VPS', { concurrency: Number(process.env.VPS_CONCURRENCY ?? 2) }, () => {
    before(async () => {
      const stale = await removeStale();
      if (stale.length) console.log(`# removed leftovers of an earlier run: ${stale.join(', ')}`);
      const builds = await ensureImages(RECIPES, 2, (line) => console.log(`# ${line}`));
      for (const b of builds)
        console.log(`# image ${b.tag}: ${b.work} in ${b.seconds.toFixed(1)} s ${describePhases(b)}`);
      const pruned = await pruneStale(RECIPES);
      if (pruned.length) console.log(`# removed images and tarballs of earlier recipes: ${pruned.join(', ')}`);
      expected.version = await releaseVersion(currentRelease());
    });
    after(async () => {
      await closeSlowUpstreams();
      const table = formatTable(recorded(), (Date.now() - started) / 1000);
      console.log(`\n${table}\n`);
      // also on disk, for a CI job to keep as an artifact
      mkdirSync(CACHE_DIR, { recursive: true });
      writeFileSync(join(CACHE_DIR, 'last-report.txt'), `${table}\n`);
    });
    installScenarios();
    failureScenarios();
    interruptedScenarios();
    interactiveScenarios();
    swarmScenarios();
    httpsScenarios();
    rebootScenarios();
  });
}
