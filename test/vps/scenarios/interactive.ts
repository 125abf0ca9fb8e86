// The real prompt through a pseudo-terminal: an invalid port, then a valid one, then the plan;
// and Ctrl-C at the prompt.
import assert from 'node:assert/strict';
import { scenario } from '../lib/scenario.ts';
import { PtySession } from '../lib/pty.ts';
import { CONFIG_DIR, assertInstalled } from '../lib/installed.ts';
import { expected } from './expected.ts';

export function interactiveScenarios(): void {
  for (const release of ['bookworm', 'trixie']) {
    scenario('interactive: invalid port, then a valid one', release, async (s) => {
      await s.upload();
      const pty = new PtySession(s.vps.name, 'cd /tmp && sh ./installer.sh');
      let at = await pty.expect(/Port for ai-proxy/);
      pty.type('80a80\r');
      at = await pty.expect(/try 1 of 3/, 30_000, at);
      at = await pty.expect(/Port for ai-proxy/, 30_000, at);
      pty.type('8090\r');
      // the plan and its confirmation (the default answer is yes)
      at = await pty.expect(/\((Y\/n|y\/N)\)/, 60_000, at);
      pty.type('y\r');
      const code = await pty.wait();
      assert.equal(code, 0, `the interactive install failed; screen:\n${pty.screen.slice(-3000)}`);
      assert.match(pty.screen, /8090/);
      await assertInstalled(s.vps, { port: 8090, version: expected.version });
      return code;
    });
  }

  scenario('interactive: Ctrl-C at the port prompt', 'bookworm', async (s) => {
    await s.upload();
    const pty = new PtySession(s.vps.name, 'cd /tmp && sh ./installer.sh');
    await pty.expect(/Port for ai-proxy/);
    pty.type('\x03');
    const code = await pty.wait(120_000);
    assert.equal(code, 130, `Ctrl-C must end the installer with 130; screen:\n${pty.screen.slice(-3000)}`);
    assert.equal(await s.vps.fileExists(CONFIG_DIR), false, 'nothing was configured');
    assert.equal(await s.vps.fileExists('/tmp/ai-proxy'), false, 'nothing is left in /tmp/ai-proxy');
    assert.equal(
      (await s.vps.execOk('docker ps -aq; docker images -q ai-proxy')).stdout.trim(),
      '',
      'no container, no image',
    );
    return code;
  });
}
