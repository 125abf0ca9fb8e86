// `--uninstall` against the real engine, without a release: an operator's own container and
// image that merely share the installer's names (`<name>`, `<name>-next`, `<name>:tag`) carry
// none of its labels and must survive it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { docker, exists, install, newInstall } from './lib/harness.ts';

function whyNot(): string | undefined {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'the installer runs as root';
  else {
    const state = docker(['info', '--format', '{{.Swarm.LocalNodeState}}'], true);
    if (state === '') reason = 'no Docker engine answers on this machine';
    // On a swarm manager --uninstall would remove the shared engine's ai-proxy stack.
    else if (state !== 'inactive') return `the engine is in a swarm (${state}): --uninstall would touch its stack`;
  }
  if (reason && process.env.REQUIRE_E2E === '1') throw new Error(`REQUIRE_E2E=1 but ${reason}`);
  return reason;
}

const skip = whyNot();

test('--uninstall leaves alone a container and an image that only share its names', { skip }, async () => {
  const t = newInstall();
  after(() => t.cleanup());
  const image = `${t.name}:operators-own`;
  // An empty image, made here: this engine has no registry to pull from.
  const empty = execFileSync('tar', ['-cf', '-', '--files-from', '/dev/null']);
  execFileSync('docker', ['import', '-', image], { input: empty, stdio: ['pipe', 'ignore', 'pipe'] });
  for (const name of [t.name, `${t.name}-next`]) docker(['create', '--name', name, image, '/nothing']);

  const result = await install(t.ctx, ['--uninstall', '--yes']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.ok(exists(t.name), `${t.name} was removed`);
  assert.ok(exists(`${t.name}-next`), `${t.name}-next was removed`);
  assert.ok(exists(image), `${image} was removed`);
  assert.match(result.stdout + result.stderr, new RegExp(`left the container ${t.name} alone`));
});
