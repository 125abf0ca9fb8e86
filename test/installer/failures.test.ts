// Each exit code from a real cause where this machine can stage one, and what is left
// afterwards: nothing half done. (The build fault injection is tested for its own safety.)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
  closeSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  statSync,
  chmodSync,
  rmSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import {
  docker,
  exists,
  freePort,
  install,
  newInstall,
  RELEASE_ARCHIVE,
  scriptedPrompter,
  skipReason,
  type TestInstall,
} from './lib/harness.ts';
import { interruptAt } from './lib/interrupt.ts';
import { stepNumber } from './lib/steps.ts';

const reason = skipReason();

describe('installer failures and their exit codes', { skip: reason ?? false }, () => {
  let t: TestInstall;
  let port: number;
  const argv = (...extra: string[]) => ['--archive', RELEASE_ARCHIVE, '--yes', '--port', String(port), ...extra];
  const nothingInstalled = () => {
    assert.ok(!exists(t.name) && !exists(`${t.name}-previous`) && !exists(`${t.name}-next`), 'no container');
    assert.equal(docker(['images', '-q', '--filter', `label=io.ai-proxy.repo=${t.name}`]), '', 'no image');
    assert.ok(!existsSync(t.ctx.paths.configDir), 'no config folder');
    assert.ok(!existsSync(t.ctx.paths.workDir), 'no build folder');
  };

  before(async () => {
    t = newInstall();
    port = await freePort();
  });
  after(() => t?.cleanup());

  test('5: the engine socket does not answer', async () => {
    const result = await install(
      { ...t.ctx, env: { ...process.env, DOCKER_HOST: `unix://${join(t.root, 'no-engine.sock')}` } },
      argv(),
    );
    assert.equal(result.code, 5);
    assert.match(result.error?.message ?? '', /Docker engine .* is not running/);
  });

  test('6: the archive is missing', async () => {
    const result = await install(t.ctx, ['--archive', join(t.root, 'nope.tar.gz'), '--yes']);
    assert.equal(result.code, 6);
    assert.match(result.error?.message ?? '', /does not exist/);
  });

  test('7: a corrupted archive is refused before anything changes', async () => {
    const copy = join(t.root, 'corrupt.tar.gz');
    copyFileSync(RELEASE_ARCHIVE, copy);
    const fd = openSync(copy, 'r+');
    const byte = Buffer.alloc(1);
    const offset = Math.floor(statSync(copy).size / 2);
    readSync(fd, byte, 0, 1, offset);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    writeSync(fd, byte, 0, 1, offset);
    closeSync(fd);
    const result = await install(t.ctx, ['--archive', copy, '--yes', '--port', String(port)]);
    assert.equal(result.code, 7, result.error?.message);
    assert.match(result.error?.message ?? '', /corrupt/);
    nothingInstalled();
  });

  test('8: three invalid answers at the port prompt; a valid answer after a bad one works', async () => {
    const bad = scriptedPrompter(['abc', '0', '99999']);
    const result = await install(t.ctx, ['--archive', RELEASE_ARCHIVE, '--dry-run'], bad);
    assert.equal(result.code, 8);
    assert.equal(bad.asked.length, 3);
    assert.match(result.stdout, /try 1 of 3/);
    const recovering = scriptedPrompter(['08080', String(port), 'y']);
    const ok = await install(t.ctx, ['--archive', RELEASE_ARCHIVE, '--dry-run'], recovering);
    assert.equal(ok.code, 0, ok.error?.message);
    assert.equal(ok.summary?.port, port);
  });

  test('answering no at the confirmation changes nothing (the archive unpacked while verifying is removed)', async () => {
    const prompter = scriptedPrompter([String(port), 'n']);
    const result = await install(t.ctx, ['--archive', RELEASE_ARCHIVE], prompter);
    assert.equal(result.code, 0, result.error?.message);
    assert.equal(result.summary?.cancelled, true);
    assert.deepEqual(prompter.asked, ['Port for ai-proxy (1-65535)', 'Proceed?']);
    assert.match(result.stdout, /Cancelled: nothing was changed/);
    nothingInstalled();
  });

  test('10: /tmp/ai-proxy planted as a symlink is refused, never followed', async () => {
    const target = join(t.root, 'elsewhere');
    mkdirSync(target);
    symlinkSync(target, t.ctx.paths.workDir);
    try {
      const result = await install(t.ctx, argv());
      assert.equal(result.code, 10);
      assert.match(result.error?.message ?? '', /symbolic link/);
      assert.ok(!existsSync(join(target, 'ai-proxy')), 'nothing was written through the link');
      assert.ok(!existsSync(t.ctx.paths.configDir));
    } finally {
      unlinkSync(t.ctx.paths.workDir);
    }
  });

  test('12: the engine rejects the build because its context lost a file, and everything is rolled back', async () => {
    // A real cause on a shared engine whose disk cannot be filled: something removes a file from
    // the build folder after extraction (a /tmp cleaner, a second admin), so the Dockerfile's
    // COPY fails in the engine. The installer is held at the start of the build while it happens.
    const run = await interruptAt(t, argv(), {
      step: stepNumber('Building the image'),
      hold: true,
      act: () => rmSync(join(t.ctx.paths.workDir, 'ai-proxy')),
    });
    assert.equal(run.code, 12, run.output);
    assert.match(run.output, /the image build failed: .*ai-proxy/);
    nothingInstalled();
  });

  test('12: the fault injection needs its marker file as well as the variable', async () => {
    const marker = join(t.root, 'fault-marker');
    writeFileSync(marker, '');
    const result = await install(
      { ...t.ctx, faultMarker: marker, env: { ...process.env, AI_PROXY_INSTALLER_FAULT: 'build' } },
      argv(),
    );
    assert.equal(result.code, 12, result.error?.message);
    assert.match(result.error?.message ?? '', /image build failed/);
    nothingInstalled();
    // the variable alone (no marker file) injects nothing
    const without = await install(
      {
        ...t.ctx,
        faultMarker: join(t.root, 'absent-marker'),
        env: { ...process.env, AI_PROXY_INSTALLER_FAULT: 'build' },
      },
      argv('--dry-run'),
    );
    assert.equal(without.code, 0, 'the variable alone injects nothing');
  });

  test('3: not root', async () => {
    chmodSync(t.root, 0o755);
    const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/installer/lib/child.ts'), ...argv()], {
      env: {
        ...process.env,
        HOME: '/tmp',
        AIP_INST_CONTEXT: JSON.stringify({ name: t.name, dirs: { ...t.ctx.paths, hostRoot: t.ctx.hostRoot } }),
      },
      uid: 65534,
      gid: 65534,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const code = await new Promise((done) => child.on('exit', done));
    assert.equal(code, 3, output);
    assert.match(output, /must run as root/);
  });

  test('1: a second installer while one holds the lock', async () => {
    const sleeper = spawn('sleep', ['30']);
    writeFileSync(t.ctx.paths.lockFile, `${sleeper.pid}\n`);
    try {
      const result = await install(t.ctx, argv('--json'));
      assert.equal(result.code, 1);
      assert.match(result.error?.message ?? '', new RegExp(`another installer is running \\(pid ${sleeper.pid}\\)`));
      const line = JSON.parse(result.stdout.trim());
      assert.deepEqual([line.ok, line.exitCode], [false, 1]);
    } finally {
      sleeper.kill();
    }
    writeFileSync(t.ctx.paths.lockFile, '999999999\n');
    const stale = await install(t.ctx, argv('--dry-run'));
    assert.equal(stale.code, 0, 'a lock whose owner is gone is taken over');
  });
});
