import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasCommand } from './lib/proc.ts';
import { formatTable, nginxConfig, type LoadResult } from './swarm.ts';

test('the load balancer has one upstream server per node, on loopback only', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'aip-bench-swarm-test-'));
  try {
    const config = nginxConfig(dir, 18080, ['172.29.1.10', '172.29.1.11', '172.29.1.12']);
    assert.deepEqual(config.match(/server 172\.29\.1\.\d+:8080;/g), [
      'server 172.29.1.10:8080;',
      'server 172.29.1.11:8080;',
      'server 172.29.1.12:8080;',
    ]);
    assert.match(config, /listen 127\.0\.0\.1:18080;/);
    if (!(await hasCommand('nginx'))) return t.skip('nginx is not installed (bench/setup.sh)');
    writeFileSync(join(dir, 'nginx.conf'), config);
    // nginx's own syntax check of the generated file
    execFileSync('nginx', ['-t', '-q', '-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], {
      stdio: 'pipe',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the table has a row per run and the mean ratio of 3 nodes to 1', () => {
  const row = (nodes: number, round: number, rps: number): LoadResult => ({
    nodes,
    round,
    rps,
    requests: rps * 15,
    p50Ms: 1,
    p99Ms: 2,
    errors: 0,
    taskCores: Array(nodes).fill(0.25),
    nginxCores: 0.3,
    hostCores: 1.9,
  });
  const table = formatTable([row(1, 1, 1000), row(3, 1, 2500), row(1, 2, 1200), row(3, 2, 2900)]);
  assert.equal(table.split('\n').filter((l) => /^\| [13] \|/.test(l)).length, 4);
  assert.match(table, /1 node 1,100, 3 nodes 2,700 \(ratio 2\.45\)/);
  assert.match(table, /\| 3 \| 1 \| 2,500 \|.*\| 0\.25, 0\.25, 0\.25 \| 0\.30 \| 1\.90 \|/);
});
