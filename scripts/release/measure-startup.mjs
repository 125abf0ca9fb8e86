// Measures start-to-ready of a release executable: `serve` (spawn until its "listening" log
// line) and `healthcheck` (spawn until exit, against a running server), median of N runs.
// Used to decide whether the SEA code cache pays off; run it on both variants.
// Usage: node scripts/release/measure-startup.mjs EXECUTABLE [RUNS]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, copyFileSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [exe, runsArg = '15'] = process.argv.slice(2);
if (!exe) {
  console.error('usage: node scripts/release/measure-startup.mjs EXECUTABLE [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg);
const config = mkdtempSync(join(tmpdir(), 'aip-release-measure-'));
copyFileSync('release-template/provider-config.yaml', join(config, 'provider-config.yaml'));
const env = readFileSync('release-template/.env.example', 'utf8').replace(
  /^AUTH_TOKEN=.*$/m,
  `AUTH_TOKEN=${'m'.repeat(40)}`,
);
writeFileSync(join(config, '.env'), env);

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

function startServe(port) {
  const started = process.hrtime.bigint();
  const child = spawn(exe, ['serve', '--config-dir', config, '--host', '127.0.0.1'], {
    env: { ...process.env, PORT: String(port) },
  });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('"listening"')) resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${out}`)));
  });
  return { child, ready };
}

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const serveTimes = [];
for (let i = 0; i < runs; i++) {
  const { child, ready } = startServe(await freePort());
  serveTimes.push(await ready);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
const port = await freePort();
const { child, ready } = startServe(port);
await ready;
const healthTimes = [];
for (let i = 0; i < runs; i++) {
  const started = process.hrtime.bigint();
  const result = spawnSync(exe, ['healthcheck', '--port', String(port)]);
  if (result.status !== 0) throw new Error(`healthcheck exited with ${result.status}: ${result.stderr}`);
  healthTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
}
child.kill('SIGTERM');
rmSync(config, { recursive: true, force: true });
console.log(
  `${exe}: serve start-to-ready median ${median(serveTimes).toFixed(0)} ms, healthcheck median ${median(healthTimes).toFixed(0)} ms (${runs} runs)`,
);
