// Every step of a reinstall interrupted twice on the local engine: once by SIGINT (the installer
// rolls back and exits 130) and once by SIGKILL (nothing runs on exit); each time the test checks,
// from the installer's log, that the signal landed in the step the title names, and then a plain
// re-run must end with a healthy, serving installation, nothing left over, .env byte for byte.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  docker,
  exists,
  freePort,
  get,
  inspect,
  install,
  newInstall,
  RELEASE_ARCHIVE,
  skipReason,
  type TestInstall,
} from './lib/harness.ts';
import { interruptAt, type InterruptOptions } from './lib/interrupt.ts';
import { INSTALL_STEPS, POINT_OF_NO_RETURN, stepNumber } from './lib/steps.ts';

const reason = skipReason();

/** Both output streams of a container's log. */
function containerLog(name: string): string {
  const out = spawnSync('docker', ['logs', name], { encoding: 'utf8' });
  return `${out.stdout}${out.stderr}`;
}

const STEPS = INSTALL_STEPS;

describe('each step interrupted by SIGINT and by SIGKILL, then a re-run', { skip: reason ?? false }, () => {
  let t: TestInstall;
  let port: number;
  let env: Buffer;
  const argv = (...extra: string[]) => ['--archive', RELEASE_ARCHIVE, '--yes', '--port', String(port), ...extra];

  /** `settled`: nothing left for a re-run to finish (no build folder); false right after an interrupted commit step. */
  async function assertHealthy(settled = true): Promise<void> {
    const info = inspect(t.name);
    assert.equal(info.State.Health.Status, 'healthy');
    assert.equal((await get(port, '/ping')).status, 200);
    assert.ok(!exists(`${t.name}-previous`), 'no previous container left');
    assert.ok(!exists(`${t.name}-next`), 'no unfinished container left');
    const holder = inspect(`${t.name}-holder`);
    assert.equal(info.HostConfig.NetworkMode, `container:${holder.Id}`, "the proxy shares the holder's port");
    assert.ok(holder.State.Running && !exists(`${t.name}-holder-previous`), 'one holder, running');
    // an old proxy left behind is one that was told to drain (it leaves on its own)
    for (const old of docker(['ps', '-aq', '--filter', `name=^${t.name}-draining-`])
      .split('\n')
      .filter(Boolean))
      assert.match(containerLog(old), /"msg":"draining/, `${old} was told to drain`);
    if (settled) assert.equal(existsSync(t.ctx.paths.workDir), false, 'no build folder left');
    assert.deepEqual(readFileSync(join(t.ctx.paths.configDir, '.env')), env, '.env byte for byte');
  }

  before(async () => {
    t = newInstall();
    port = await freePort();
    const first = await install(t.ctx, argv());
    assert.equal(first.code, 0, first.error?.message);
    env = readFileSync(join(t.ctx.paths.configDir, '.env'));
  });
  after(() => t?.cleanup());

  STEPS.forEach(({ title, slow }, index) => {
    const step = index + 1;
    // Slow steps are signalled as they run; fast ones are held at their start (lib/child.ts)
    // until the signal is on its way, or it would land in a later step.
    const where: Omit<InterruptOptions, 'signal'> = slow ? { step } : { step, hold: true };

    test(`SIGINT in step ${step} (${title}): rolled back, exit 130, a re-run ends healthy`, async () => {
      const before = inspect(t.name).Id;
      const run = await interruptAt(t, argv('--force'), { ...where, signal: 'SIGINT' });
      assert.equal(run.code, 130, run.output);
      assert.equal(run.lastStarted, step, `the signal landed in step ${run.lastStarted}:\n${run.output}`);
      assert.match(run.output, new RegExp(`✗ \\[${step}/${STEPS.length}\\] ${title}.* — interrupted by SIGINT`));
      // before the point of no return (the hand-over) the old container is the one serving again;
      // from there on the new one serves and the clean-up is left to the next run
      const rolledBack = step < stepNumber(POINT_OF_NO_RETURN);
      if (rolledBack) assert.equal(inspect(t.name).Id, before, 'the previous container serves again');
      else assert.notEqual(inspect(t.name).Id, before, 'the new container stays');
      await assertHealthy(rolledBack || step === STEPS.length);
      const again = await install(t.ctx, argv());
      assert.equal(again.code, 0, again.error?.message);
      await assertHealthy();
    });

    test(`SIGKILL in step ${step} (${title}): a re-run ends healthy`, async () => {
      const options: InterruptOptions = { ...where, signal: 'SIGKILL' };
      const run = await interruptAt(t, argv('--force'), options);
      assert.equal(run.killedBy, 'SIGKILL', run.output);
      assert.equal(run.lastStarted, step, `the kill landed in step ${run.lastStarted}:\n${run.log}`);
      assert.equal(run.lastEnded, false, `step ${step} had finished before the kill:\n${run.log}`);
      const again = await install(t.ctx, argv());
      assert.equal(again.code, 0, again.error?.message);
      await assertHealthy();
    });
  });
});
