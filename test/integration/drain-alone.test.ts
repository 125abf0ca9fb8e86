// A proxy alone on its port (no shared network, no DRAIN_DELAY), as `docker stop` then start
// replaces it: whoever replaces it waits for it to exit, so an idle keep-alive connection must
// not hold the exit back for the idle grace that a shared port uses.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { IDLE_GRACE_MS } from '../../src/cli/serve.ts';
import { openaiProvider, type ProxyProcess, startProxyProcess, writeConfigDir } from './harness.ts';

function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${url}/ping`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('a proxy alone on its port, on SIGTERM', { timeout: 60_000 }, () => {
  let proxy: ProxyProcess | undefined;
  let dir: string | undefined;

  after(() => {
    if (proxy?.child.exitCode === null) proxy.child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('closes an idle keep-alive connection at once and exits, instead of waiting for the idle grace', async () => {
    dir = writeConfigDir(`providers:\n${openaiProvider('up', 'http://127.0.0.1:9', '    models: [m]\n')}`);
    proxy = await startProxyProcess(dir);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal(await get(proxy.url, agent), 200);
    // the agent keeps its one socket open and idle
    const closed = new Promise<void>((resolve) => {
      const sockets = Object.values(agent.freeSockets).flat();
      assert.equal(sockets.length, 1, 'one idle keep-alive connection');
      sockets[0]?.once('close', () => resolve());
    });
    const sent = performance.now();
    proxy.child.kill('SIGTERM');
    assert.equal(await proxy.exited, 0);
    await closed;
    const ms = performance.now() - sent;
    // held back, the exit comes after the whole grace at the earliest; without, in well under a second
    assert.ok(ms < IDLE_GRACE_MS - 500, `the exit took ${Math.round(ms)} ms: the idle connection held it back`);
    assert.match(proxy.stdout(), /"msg":"draining","signal":"SIGTERM"/);
    agent.destroy();
  });
});
