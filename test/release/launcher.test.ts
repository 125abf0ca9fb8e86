// installer.sh as an operator runs it, under dash and busybox sh: shellcheck clean, --help,
// --info, --check, and every refusal with its exit code (tampered 7, not root 3, missing 6,
// wrong arch 4); as root it starts the real installer, passes its exit code through and
// leaves no temporary folder behind, also when TMPDIR is mounted noexec.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { has, REQUIRE_E2E, requireArtifacts, ROOT, run, tempDir } from './artifacts.ts';

const { artifacts, skip } = requireArtifacts();
const isRoot = process.getuid?.() === 0;
const shells = [
  ['dash', has('dash') ? false : 'dash is not installed (apt-get install dash)'],
  ['busybox sh', has('busybox') ? false : 'busybox is not installed (apt-get install busybox)'],
] as const;

// Removed after the file's tests, also when an assertion failed half-way.
const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function scratch(label: string): string {
  const dir = tempDir(label);
  made.push(dir);
  return dir;
}

/** A folder with a copy of the launcher (and, unless told otherwise, the archive). */
function workspace(withArchive = true): string {
  const dir = scratch('launcher');
  chmodSync(dir, 0o755); // readable by the unprivileged user of the not-root case
  copyFileSync(artifacts!.launcher, join(dir, 'installer.sh'));
  if (withArchive) copyFileSync(artifacts!.archive, join(dir, 'ai-proxy-release.tar.gz'));
  return dir;
}

function launch(shell: string, dir: string, args: string[], env: NodeJS.ProcessEnv = {}, asUser?: number) {
  const argv = [...shell.split(' '), join(dir, 'installer.sh'), ...args];
  const command =
    asUser === undefined ? argv : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', ...argv];
  return run(command[0]!, command.slice(1), { cwd: dir, env: { ...process.env, ...env } });
}

test('installer.sh passes shellcheck', { skip }, (t) => {
  if (!has('shellcheck')) {
    if (REQUIRE_E2E) assert.fail('shellcheck is not installed (apt-get install shellcheck)');
    return t.skip('shellcheck is not installed (apt-get install shellcheck)');
  }
  const result = run('shellcheck', ['--shell=sh', '--severity=style', artifacts!.launcher]);
  assert.equal(result.status, 0, result.stdout);
});

for (const [shell, shellSkip] of shells) {
  test(`${shell}: --help lists the launcher flags and the installer's flags and exit codes`, {
    skip: skip || shellSkip,
  }, () => {
    const dir = workspace(false);
    const result = launch(shell, dir, ['--help']);
    assert.equal(result.status, 0, result.stderr);
    for (const flag of ['--archive PATH', '--check', '--info', '--port N', '--uninstall', '--purge', '--dry-run']) {
      assert.ok(result.stdout.includes(flag), `--help mentions ${flag}`);
    }
    for (const code of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 130]) {
      assert.match(result.stdout, new RegExp(`^ +${code} +\\S`, 'm'), `--help explains exit code ${code}`);
    }
  });

  test(`${shell}: --info and --check describe and verify the archive next to the launcher`, {
    skip: skip || shellSkip,
  }, () => {
    const dir = workspace();
    const info = launch(shell, dir, ['--info']);
    assert.equal(info.status, 0, info.stderr);
    const sha = readFileSync(artifacts!.sums, 'utf8').split(' ')[0]!;
    assert.match(info.stdout, new RegExp(`archive sha256: ${sha}`));
    assert.match(info.stdout, /^arch: linux-x64$/m);
    assert.match(info.stdout, /^ai-proxy \d+\.\d+\.\d+/);
    const check = launch(shell, dir, ['--check']);
    assert.equal(check.status, 0, check.stderr);
    // Also found in the current folder when the launcher lives elsewhere, and by --archive.
    const elsewhere = workspace(false);
    assert.equal(run(...shellArgs(shell, join(elsewhere, 'installer.sh'), ['--check']), { cwd: dir }).status, 0);
    assert.equal(launch(shell, elsewhere, ['--check', '--archive', join(dir, 'ai-proxy-release.tar.gz')]).status, 0);
  });

  test(`${shell}: a tampered archive is refused with exit 7`, { skip: skip || shellSkip }, () => {
    const dir = workspace();
    const archive = join(dir, 'ai-proxy-release.tar.gz');
    const fd = openSync(archive, 'r+');
    writeSync(fd, Buffer.from('x'), 0, 1, Math.floor(statSync(archive).size / 2));
    closeSync(fd);
    const check = launch(shell, dir, ['--check']);
    assert.equal(check.status, 7, check.stderr);
    assert.match(check.stderr, /sha256/);
    if (isRoot) assert.equal(launch(shell, dir, ['--yes']).status, 7);
  });

  test(`${shell}: a missing archive is refused with exit 6`, { skip: skip || shellSkip }, () => {
    const dir = workspace(false);
    const check = launch(shell, dir, ['--check']);
    assert.equal(check.status, 6, check.stderr);
    assert.match(check.stderr, /not found/);
    assert.equal(launch(shell, dir, ['--check', '--archive', join(dir, 'nope.tar.gz')]).status, 6);
  });

  test(`${shell}: an archive root cannot read is refused with exit 6, not blamed on the temp folders`, {
    skip: skip || shellSkip || (!isRoot && 'needs root (a root without CAP_DAC_OVERRIDE, as on NFS with root_squash)'),
  }, () => {
    const dir = workspace();
    chmodSync(join(dir, 'ai-proxy-release.tar.gz'), 0o000);
    // root, but without the capabilities that let root read any file
    const dropped = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];
    const [command, args] = shellArgs(shell, join(dir, 'installer.sh'), ['--yes']);
    const result = run('setpriv', [...dropped, command, ...args], { cwd: dir });
    assert.equal(result.status, 6, result.stderr);
    assert.match(result.stderr, /cannot be read/);
  });

  test(`${shell}: a run without root is refused with exit 3 and the sudo command`, { skip: skip || shellSkip }, () => {
    const dir = workspace();
    const result = isRoot ? launch(shell, dir, ['--port', '9000'], {}, 65534) : launch(shell, dir, ['--port', '9000']);
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stderr, /sudo sh .*installer\.sh --port 9000/);
  });

  test(`${shell}: an archive for another CPU architecture is refused with exit 4`, { skip: skip || shellSkip }, () => {
    const dir = workspace();
    // The same launcher, as generated for arm64 (only the arch line differs).
    const launcher = join(dir, 'installer.sh');
    writeFileSync(launcher, readFileSync(launcher, 'utf8').replace(/^ARCH='x64'$/m, "ARCH='arm64'"));
    const result = launch(shell, dir, ['--check']);
    assert.equal(result.status, 4, result.stderr);
    assert.match(result.stderr, /linux-arm64/);
  });

  test(`${shell}: as root it runs ai-proxy install, passes its exit code through, cleans up`, {
    skip: skip || shellSkip || (!isRoot && 'needs root'),
  }, () => {
    const dir = workspace();
    const tmp = scratch('tmpdir');
    const version = launch(shell, dir, ['--version'], { TMPDIR: tmp });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^ai-proxy installer \d+\.\d+\.\d+/);
    const usage = launch(shell, dir, ['--no-such-flag'], { TMPDIR: tmp });
    assert.equal(usage.status, 2, 'the installer exit code for bad usage comes through');
    assert.deepEqual(readdirSync(tmp), [], 'the private folder is removed');
  });

  test(`${shell}: a noexec TMPDIR falls back to another folder`, {
    skip: skip || shellSkip || (!isRoot && 'needs root'),
  }, (t) => {
    const dir = workspace();
    const noexec = scratch('noexec');
    if (run('mount', ['-t', 'tmpfs', '-o', 'noexec,size=200m', 'tmpfs', noexec]).status !== 0) {
      return t.skip('cannot mount a tmpfs here (needs CAP_SYS_ADMIN)');
    }
    try {
      const before = readdirSync('/tmp').filter((name) => name.startsWith('ai-proxy-launcher.'));
      const result = launch(shell, dir, ['--version'], { TMPDIR: noexec });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(readdirSync(noexec), []);
      assert.deepEqual(
        readdirSync('/tmp').filter((name) => name.startsWith('ai-proxy-launcher.')),
        before,
      );
    } finally {
      run('umount', [noexec]);
      rmSync(noexec, { recursive: true, force: true });
    }
  });

  test(`${shell}: a TMPDIR too full for the executable falls back to another folder`, {
    skip: skip || shellSkip || (!isRoot && 'needs root'),
  }, (t) => {
    const dir = workspace();
    const full = scratch('full');
    if (run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', full]).status !== 0) {
      return t.skip('cannot mount a tmpfs here (needs CAP_SYS_ADMIN)');
    }
    try {
      const result = launch(shell, dir, ['--version'], { TMPDIR: full });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^ai-proxy installer \d+\.\d+\.\d+/);
      assert.deepEqual(readdirSync(full), [], 'the half-written folder in the full TMPDIR is removed');
    } finally {
      run('umount', [full]);
      rmSync(full, { recursive: true, force: true });
    }
  });
}

function shellArgs(shell: string, script: string, args: string[]): [string, string[]] {
  const [command, ...rest] = shell.split(' ');
  return [command!, [...rest, script, ...args]];
}

/** The launcher template generated around a stand-in `ai-proxy` shell script; returns installer.sh's path. */
function launcherAround(dir: string, standIn: string): string {
  const stage = join(dir, 'stage');
  mkdirSync(stage);
  writeFileSync(join(stage, 'ai-proxy'), standIn, { mode: 0o755 });
  const archive = join(dir, 'ai-proxy-release.tar.gz');
  assert.equal(run('tar', ['-czf', archive, '-C', stage, 'ai-proxy']).status, 0);
  writeFileSync(join(dir, 'help.txt'), 'installer help\n');
  const generated = run(
    'sh',
    [join(ROOT, 'scripts/release/launcher.sh'), 'x64', archive, join(dir, 'help.txt'), join(dir, 'installer.sh')],
    {
      env: { ...process.env, VERSION: '9.9.9', COMMIT: 'abc' },
    },
  );
  assert.equal(generated.status, 0, generated.stderr);
  return join(dir, 'installer.sh');
}

// The template itself, with a stand-in `ai-proxy` that reports what it was given: exact
// arguments (spaces kept, launcher flags removed), the absolute archive path, and the
// operator's umask (the launcher tightens it only for its private folder).
test('the launcher template passes exact arguments and the umask to ai-proxy install', {
  skip: isRoot ? false : 'needs root',
}, () => {
  const launcher = launcherAround(
    scratch('template'),
    '#!/bin/sh\nprintf "umask=%s\\n" "$(umask)"\nfor a in "$@"; do printf "[%s]\\n" "$a"; done\nexit 42\n',
  );
  for (const [shell] of shells.filter(([, reason]) => !reason)) {
    const result = run('sh', [
      '-c',
      `umask 022 && cd / && ${shell} "$0" --port 9000 --bind "a b" --check-not`,
      launcher,
    ]);
    assert.equal(result.status, 42, `${shell}: the installer's exit code comes through: ${result.stderr}`);
    // The installer gets the launcher's private, verified copy of the archive, not the original.
    assert.match(
      result.stdout,
      /^umask=0022\n\[install\]\n\[--archive\]\n\[\/tmp\/ai-proxy-launcher\.\w+\/release\.tar\.gz\]\n\[--port\]\n\[9000\]\n\[--bind\]\n\[a b\]\n\[--check-not\]\n$/,
      shell,
    );
  }
});

test('a folder left by a killed launcher is removed by the next run; a live one is kept', {
  skip: skip || shells[0][1] || (!isRoot && 'needs root'),
}, () => {
  const dir = workspace();
  const tmp = scratch('tmpdir');
  // A pid that cannot be running: a short-lived child that has already exited.
  const dead = spawnSync('true').pid;
  for (const [name, pid] of [
    ['ai-proxy-launcher.dead01', dead],
    ['ai-proxy-launcher.live01', process.pid],
  ] as const) {
    plantLauncherDir(join(tmp, name), pid);
  }
  const result = launch('dash', dir, ['--version'], { TMPDIR: tmp });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(readdirSync(tmp), ['ai-proxy-launcher.live01']);
});

/** A folder as a launcher run as root makes it: 0700, with a 0600 launcher.pid. */
function plantLauncherDir(path: string, pid: number): void {
  mkdirSync(path, { mode: 0o700 });
  chmodSync(path, 0o700);
  writeFileSync(join(path, 'launcher.pid'), `${pid}\n`, { mode: 0o600 });
  writeFileSync(join(path, 'ai-proxy'), 'left behind');
}

// /tmp is shared: what another user planted under the launcher's folder names (their own
// folder, a link to a folder elsewhere, a link as the pid file) is neither removed nor read.
test('the stale-folder sweep touches only root-owned 0700 folders with a root-owned pid file', {
  skip: isRoot ? false : 'needs root (it plants folders owned by others)',
}, () => {
  const dir = scratch('sweep');
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp, { mode: 0o1777 });
  chmodSync(tmp, 0o1777);
  const launcher = launcherAround(dir, '#!/bin/sh\nexit 0\n');
  const dead = spawnSync('true').pid;
  const elsewhere = join(dir, 'elsewhere');
  plantLauncherDir(elsewhere, dead);
  plantLauncherDir(join(tmp, 'ai-proxy-launcher.killed'), dead);
  plantLauncherDir(join(tmp, 'ai-proxy-launcher.foreign'), dead);
  run('chown', ['-R', '65534:65534', join(tmp, 'ai-proxy-launcher.foreign')]);
  plantLauncherDir(join(tmp, 'ai-proxy-launcher.open'), dead);
  chmodSync(join(tmp, 'ai-proxy-launcher.open'), 0o755);
  symlinkSync(elsewhere, join(tmp, 'ai-proxy-launcher.link'));
  mkdirSync(join(tmp, 'ai-proxy-launcher.pidlink'), { mode: 0o700 });
  symlinkSync(join(elsewhere, 'launcher.pid'), join(tmp, 'ai-proxy-launcher.pidlink', 'launcher.pid'));
  for (const [shell] of shells.filter(([, reason]) => !reason)) {
    const result = run('sh', ['-c', `${shell} "$0"`, launcher], { env: { ...process.env, TMPDIR: tmp } });
    assert.equal(result.status, 0, `${shell}: ${result.stderr}`);
    assert.deepEqual(
      readdirSync(tmp).sort(),
      ['ai-proxy-launcher.foreign', 'ai-proxy-launcher.link', 'ai-proxy-launcher.open', 'ai-proxy-launcher.pidlink'],
      `${shell}: only the root-owned folder of a killed launcher is removed`,
    );
    assert.deepEqual(readdirSync(elsewhere).sort(), ['ai-proxy', 'launcher.pid'], `${shell}: a link's target is kept`);
  }
});

// A SIGTERM sent to the launcher alone (a CI runner, systemd, `kill`) must reach the installer
// at once so it rolls back now; its stdin must still reach the installer (prompts).
test('the launcher passes stdin through and forwards SIGTERM to the running installer', {
  skip: isRoot ? false : 'needs root',
}, async () => {
  const dir = scratch('signal');
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const launcher = launcherAround(
    dir,
    '#!/bin/sh\ntrap \'kill $! 2>/dev/null; echo "rolled back"; exit 130\' TERM\nread -r line\necho "stdin=$line"\nsleep 60 >/dev/null 2>&1 & wait $!\nexit 0\n',
  );
  for (const [shell] of shells.filter(([, reason]) => !reason)) {
    const [command, ...rest] = shell.split(' ');
    const child = spawn(command!, [...rest, launcher], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // The installer is running (it echoed its stdin): now signal the launcher only.
      if (stdout.includes('stdin=')) child.kill('SIGTERM');
    });
    child.stdin.end('typed answer\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(code, 130, `${shell}: the installer's exit code after the forwarded SIGTERM comes through`);
    assert.match(
      stdout,
      /stdin=typed answer\nrolled back\n/,
      `${shell}: stdin reached the installer, then the signal did`,
    );
    assert.deepEqual(readdirSync(tmp), [], `${shell}: the private folder is removed`);
  }
});
