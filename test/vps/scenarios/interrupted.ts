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
  /** the step the kill must land in (the installer log's last step line), as the title says */
  landsIn: RegExp,
  prepare?: (s: Session) => Promise<string | void>,
): Case {
  return {
    title,
    run: async (s) => {
      const version = (await prepare?.(s)) ?? expected.version;
      const killed = await signalWhen(s.vps, args, condition);
      s.note = `killed in ${killed.lastStep.replace(/^step /, '')}`;
      assert.equal(killed.code, 137, `the installer was killed (status ${killed.code}), last step: ${killed.lastStep}`);
      assert.match(killed.lastStep, landsIn, 'the kill landed in another step than the title says');
      const r = await s.installer(['--yes']);
      assert.equal(r.code, 0, `the re-run after a SIGKILL at "${killed.lastStep}" did not succeed`);
      // The killed launcher's private folder (the ~110 MB executable) has no owner left to remove
      // it: the next launcher removes folders whose launcher is gone, so after the re-run none may be left.
      const left = (
        await s.vps.exec(
          'ls -d /tmp/ai-proxy-launcher.* /var/tmp/ai-proxy-launcher.* /root/ai-proxy-launcher.* 2>/dev/null',
        )
      ).stdout.trim();
      assert.equal(left, '', 'launcher temp folders left after the re-run');
      await assertInstalled(s.vps, { port: 8080, version });
      return r.code;
    },
  };
}

export function interruptedScenarios(): void {
  group('SIGKILL, then a normal re-run', 'bookworm', (s) => s.upload(), [
    // by what is on disk, not a step title: the installer may unpack within another step
    killThenRerun(
      'SIGKILL while extracting (first install)',
      ['--yes'],
      `[ -n "$(ls -A /tmp/ai-proxy 2>/dev/null)" ]`,
      /Extracting/,
    ),
    killThenRerun(
      'SIGKILL while building the image',
      ['--yes', '--force'],
      atStep('Building the image'),
      /Building the image/,
    ),
    killThenRerun(
      'SIGKILL while waiting for health',
      ['--yes', '--force'],
      atStep('Waiting until the container is healthy'),
      /Waiting until the container is healthy/,
    ),
    killThenRerun(
      'SIGKILL mid-upgrade, the new proxy running beside the old one',
      ['--yes'],
      // both proxies share the port: the new one may already take requests, the old one was not
      // told anything yet (in the step that starts the new one, or the health wait right after)
      `docker ps --format '{{.Names}}' | grep -q '^ai-proxy-next$'`,
      /Starting the container|Waiting until the container is healthy/,
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
