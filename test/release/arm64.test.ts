// The linux-arm64 release (`npm run release -- --arch arm64`), run under qemu-user-static with
// the archive's own rootfs as the library root: it must report its build and serve /ping.
// Skipped with the reason when pkg/linux-arm64 or qemu is missing; with REQUIRE_E2E=1 (CI, which
// builds both arches) that is a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsFor, configFrom, freePort, has, readManifest, REQUIRE_E2E, run, unpack } from './artifacts.ts';

const artifacts = artifactsFor('arm64');
const missing = !existsSync(artifacts.archive)
  ? 'pkg/linux-arm64 missing: run npm run release -- --arch arm64'
  : !has('qemu-aarch64-static')
    ? 'qemu-aarch64-static missing: apt-get install qemu-user-static'
    : false;
if (missing && REQUIRE_E2E)
  test('the arm64 release and qemu are there (REQUIRE_E2E=1)', () => {
    throw new Error(missing);
  });
const skip = missing;

test('the arm64 executable runs under qemu, reports its build and serves /ping', {
  skip,
  timeout: 180_000,
}, async () => {
  const dir = await unpack(artifacts.archive);
  try {
    const manifest = readManifest(dir);
    assert.equal(manifest.arch, 'arm64');
    assert.ok(manifest.files['rootfs/lib/ld-linux-aarch64.so.1'], 'the aarch64 loader is in the rootfs');
    assert.ok(manifest.debianPackages.every((pkg) => pkg.file.endsWith('_arm64.deb')));
    const qemu = ['-L', join(dir, 'rootfs'), join(dir, 'ai-proxy')];
    const version = run('qemu-aarch64-static', [...qemu, '--version']);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(
      version.stdout.trim(),
      `ai-proxy ${manifest.version} (commit ${manifest.commit}, node ${manifest.node})`,
    );

    configFrom(dir, join(dir, 'config'));
    const port = await freePort();
    const server = spawn(
      'qemu-aarch64-static',
      [...qemu, 'serve', '--config-dir', join(dir, 'config'), '--host', '127.0.0.1'],
      {
        env: { ...process.env, PORT: String(port) },
        stdio: 'ignore',
      },
    );
    try {
      let response: Response | undefined;
      for (let attempt = 0; attempt < 300 && !response; attempt++) {
        response = await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined);
        if (!response) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(response, 'the arm64 server answered within 60 s');
      assert.equal((await response.text()).trim(), 'pong');
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
