// SIGKILL of the installer at several steps; each time a normal re-run must end healthy.
import assert from 'node:assert/strict';
import { group, type Case } from '../lib/scenario.ts';
import type { Session } from '../lib/session.ts';
import { assertInstalled } from '../lib/installed.ts';
import { atStep, signalWhen } from '../lib/kill.ts';
import { nextRelease } from '../lib/next-release.ts';
import { expected } from './expected.ts';

function killThenRerun(
  title: string,
  args: string[],
  condition: string,
  prepare?: (s: Session) => Promise<string | void>,
): Case {
  return {
    title,
    run: async (s) => {
      const version = (await prepare?.(s)) ?? expected.version;
      const killed = await signalWhen(s.vps, args, condition);
      s.note = `killed in ${killed.lastStep.replace(/^step /, '')}`;
      assert.equal(killed.code, 137, `the installer was killed (status ${killed.code}), last step: ${killed.lastStep}`);
      const r = await s.installer(['--yes']);
      assert.equal(r.code, 0, `the re-run after a SIGKILL at "${killed.lastStep}" did not succeed`);
      // reported, not asserted: the launcher's private folder of a killed run (the executable,
      // ~110 MB) has no owner left to remove it; nothing says whose job that is
      const left = (
        await s.vps.exec('ls -d /tmp/ai-proxy-launcher.* /var/tmp/ai-proxy-launcher.* 2>/dev/null | wc -l')
      ).stdout.trim();
      if (left !== '0') s.note += `; ${left} launcher temp folder(s) left`;
      await assertInstalled(s.vps, { port: 8080, version });
      return r.code;
    },
  };
}

export function interruptedScenarios(): void {
  group('SIGKILL, then a normal re-run', 'bookworm', (s) => s.upload(), [
    // by what is on disk, not a step title: the installer may unpack within another step
    killThenRerun('SIGKILL while extracting (first install)', ['--yes'], `[ -n "$(ls -A /tmp/ai-proxy 2>/dev/null)" ]`),
    killThenRerun('SIGKILL while building the image', ['--yes', '--force'], atStep('Building the image')),
    killThenRerun(
      'SIGKILL while waiting for health',
      ['--yes', '--force'],
      atStep('Waiting until the container is healthy'),
    ),
    killThenRerun(
      'SIGKILL mid-upgrade, old container stopped',
      ['--yes'],
      // the old container has been stopped and renamed: the most delicate moment of an upgrade
      `docker ps -a --format '{{.Names}} {{.State}}' | grep -q '^ai-proxy-previous exited'`,
      async (s) => {
        // an installed first version to upgrade from (the cases before leave one; alone, make it)
        if (!(await s.vps.inspect('ai-proxy')))
          assert.equal((await s.installer(['--yes'])).code, 0, 'the install before the upgrade failed');
        const next = await nextRelease();
        await s.upload(next.release);
        return next.version;
      },
    ),
  ]);
}
