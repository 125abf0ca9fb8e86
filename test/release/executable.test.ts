// The executable from the archive: it reports this build, serves /ping from the archive's
// own config templates, answers its healthcheck and stops cleanly on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { configFrom, freePort, readManifest, requireArtifacts, run, unpack } from './artifacts.ts';

const { artifacts, skip } = requireArtifacts();

test('ai-proxy --version prints the version, commit and Node of the manifest', { skip }, async () => {
  const dir = await unpack(artifacts!.archive, ['ai-proxy', 'manifest.json']);
  try {
    const manifest = readManifest(dir);
    const result = run(join(dir, 'ai-proxy'), ['--version']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stdout.trim(),
      `ai-proxy ${manifest.version} (commit ${manifest.commit}, node ${manifest.node})`,
    );
    assert.equal(result.stderr, '', 'no SEA warning (e.g. a rejected code cache) on stderr');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ai-proxy serve answers /ping, healthcheck passes, SIGTERM stops it with exit 0', { skip }, async (t) => {
  const dir = await unpack(artifacts!.archive, ['ai-proxy', '.env.example', 'provider-config.yaml']);
  const config = join(dir, 'config');
  configFrom(dir, config);
  const port = await freePort();
  const server = spawn(join(dir, 'ai-proxy'), ['serve', '--config-dir', config, '--host', '127.0.0.1'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.on('data', (chunk) => (output += chunk));
  server.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  try {
    let response: Response | undefined;
    for (let attempt = 0; attempt < 100 && !response; attempt++) {
      response = await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined);
      if (!response) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(response, `serve did not answer on ${port}: ${output}`);
    assert.equal(response.status, 200);
    assert.equal((await response.text()).trim(), 'pong');

    const healthy = run(join(dir, 'ai-proxy'), ['healthcheck', '--port', String(port)]);
    assert.equal(healthy.status, 0, healthy.stderr);
    const closed = run(join(dir, 'ai-proxy'), ['healthcheck', '--port', String(await freePort())]);
    assert.notEqual(closed.status, 0, 'healthcheck fails when nothing listens');
  } finally {
    server.kill('SIGTERM');
  }
  assert.equal(await exited, 0, output);
});
