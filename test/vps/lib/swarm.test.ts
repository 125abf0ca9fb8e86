import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { SwarmProbe, describeProbes, type SwarmNode } from './swarm.ts';
import { parseJoin } from './swarm-install.ts';
import { printSwarmSuccess, type SwarmSummary } from '../../../installer/command/swarm-summary.ts';

test('the join command is read from what --swarm init prints', () => {
  let out = '';
  printSwarmSuccess({ isTTY: false, write: (text) => void (out += text) }, '/srv/ai-proxy', 8080, {
    ok: true,
    exitCode: 0,
    action: 'install',
    swarm: { role: 'manager', join: { manager: '172.29.7.10:2377', token: 'SWMTKN-1-abc-def' } },
  } as SwarmSummary);
  assert.deepEqual(parseJoin(out), { manager: '172.29.7.10:2377', token: 'SWMTKN-1-abc-def' });
  assert.equal(
    parseJoin("echo 'TOKEN' | sudo ./installer.sh --swarm join --manager 10.0.0.2:2377 --token-file -"),
    undefined,
    'not a Swarm token',
  );
});

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the probe counts the requests a node failed while it was down, and only those', async () => {
  const server = createServer((req, res) => res.writeHead(req.url === '/ping' ? 200 : 404).end('pong'));
  const port = await listen(server);
  const node = { index: 0, ip: '127.0.0.1' } as SwarmNode;
  const probe = SwarmProbe.start([node], port);
  await sleep(300);
  await close(server);
  await sleep(300);
  const [result] = await probe.stop();
  assert.ok(result);
  assert.ok(
    result.probes > result.failures && result.failures > 0,
    `some answered, some failed: ${JSON.stringify(result)}`,
  );
  assert.ok(result.longestGapMs >= 250, `the gap covers the time the node was down: ${JSON.stringify(result)}`);
  assert.match(describeProbes([result]), /^node 1: \d+\/\d+ failed, gap \d+\.\d\d s$/);
});
