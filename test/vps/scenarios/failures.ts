// Every exit code from 2 to 13 from a real cause, each starting from a healthy installation
// (with the mock upstream attached) and proving the rollback: the previous container still
// serves, config byte-identical, no new container or image, /tmp/ai-proxy gone.
// Causes no host here can stage for real: exit 4 "unsupported operating system" (the executable
// is a Linux ELF, so process.platform is always linux where it runs, and no engine runs Windows
// containers on Linux), exit 5 "API too old" (every Debian engine here has API 1.41+), exit 1.
import assert from 'node:assert/strict';
import { group, scenario, type Case } from '../lib/scenario.ts';
import type { Session } from '../lib/session.ts';
import { CONFIG_DIR } from '../lib/installed.ts';
import { assertRolledBack, configDigest, snapshot } from '../lib/rollback.ts';
import { MOCK_PORT } from '../lib/upstream.ts';
import { actWhen, atStep, signalWhen } from '../lib/kill.ts';
import { brokenRelease } from '../lib/broken-release.ts';
import { releaseIn } from '../lib/artifacts.ts';
import { arm64Missing, artifactsDir, QEMU_AARCH64 } from '../lib/arm64.ts';
import { REQUIRE_E2E } from '../lib/preconditions.ts';
import { healthyInstall } from './install.ts';

/** A failure case: stage the cause, run the installer, expect `code`, undo the cause, check the rollback. */
function failure(
  title: string,
  code: number,
  run: (s: Session) => Promise<{ output: string; code: number }>,
  opts: {
    stage?: (s: Session) => Promise<void>;
    /** undoes the cause before the rollback is checked (e.g. starts the engine again) */
    unstage?: (s: Session) => Promise<void>;
    /** runs after the rollback was checked (e.g. puts a valid config back for the next case) */
    cleanup?: (s: Session) => Promise<void>;
    says?: RegExp;
  } = {},
): Case {
  return {
    title,
    run: async (s) => {
      const before = await snapshot(s.vps, 8080);
      await opts.stage?.(s);
      // the files as the installer finds them (the invalid-config case changes them on purpose)
      before.config = await configDigest(s.vps);
      let r: { output: string; code: number };
      try {
        r = await run(s);
      } finally {
        await opts.unstage?.(s);
      }
      assert.equal(r.code, code, `expected exit ${code}, got ${r.code}:\n${r.output.slice(-2000)}`);
      if (opts.says) assert.match(r.output, opts.says, 'the message says what happened');
      await assertRolledBack(s.vps, before);
      await opts.cleanup?.(s);
      return r.code;
    },
  };
}

const PORT_HOLDER = `perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => 9191, Listen => 5, ReuseAddr => 1) or die "$!"; sleep 600'`;

export function failureScenarios(): void {
  group('rejected before any change', 'bookworm', (s) => healthyInstall(s), [
    failure('exit 2: unknown flag', 2, (s) => s.installer(['--yes', '--colour']), { says: /--colour/ }),
    failure('exit 3: not root', 3, (s) => s.installer(['--yes'], { user: 'operator' }), { says: /sudo/ }),
    // a 32-bit personality makes `uname -m` say i686, as on a 32-bit host (the archive is x64)
    failure('exit 4: wrong CPU architecture', 4, (s) => s.vps.exec('cd /tmp && setarch i686 sh ./installer.sh --yes'), {
      says: /i686/,
    }),
    failure('exit 6: archive not copied', 6, (s) => s.installer(['--yes'], { dir: '/root/only-launcher' }), {
      stage: (s) =>
        s.vps.execOk('mkdir -p /root/only-launcher && cp /tmp/installer.sh /root/only-launcher/').then(() => {}),
      says: /ai-proxy-release\.tar\.gz/,
    }),
    failure(
      'exit 7: tampered archive (launcher checksum)',
      7,
      (s) => s.installer(['--yes'], { dir: '/root/tampered' }),
      {
        stage: (s) => tamper(s),
        says: /sha256/,
      },
    ),
    failure(
      'exit 7: tampered archive (ai-proxy install run directly)',
      7,
      (s) => s.vps.exec('/root/direct/ai-proxy install --yes --archive /root/tampered/ai-proxy-release.tar.gz'),
      {
        stage: async (s) => {
          await tamper(s);
          await s.vps.execOk('mkdir -p /root/direct && tar -xzf /tmp/ai-proxy-release.tar.gz -C /root/direct ai-proxy');
        },
      },
    ),
    failure('exit 8: invalid ports', 8, async (s) => {
      // each a classic mistake; all must be refused, none may touch anything
      for (const bad of ['0', '65536', '08080', '+8080', '8e3', '80 80', '٨٠٨٠']) {
        const r = await s.installer(['--yes', '--port', bad]);
        if (r.code !== 8) return { code: r.code, output: `--port '${bad}': ${r.output}` };
      }
      return s.last!;
    }),
    failure('exit 9: port held by a process', 9, (s) => s.installer(['--yes', '--port', '9191']), {
      stage: async (s) => {
        await s.vps.execOk(`nohup ${PORT_HOLDER} >/dev/null 2>&1 & echo $! > /root/holder.pid`);
        await s.vps.waitFor(`ss -ltn | grep -q ':9191 '`, 10_000, 'the port holder did not listen');
      },
      unstage: (s) => s.vps.execOk('kill "$(cat /root/holder.pid)"').then(() => {}),
      says: /9191/,
    }),
    failure(
      'exit 9: port published by another container',
      9,
      (s) => s.installer(['--yes', '--port', String(MOCK_PORT)]),
      {
        says: /vps-mock-upstream/,
      },
    ),
    failure('exit 11: invalid provider-config.yaml', 11, (s) => s.installer(['--yes', '--force']), {
      // an operator's edit that parses as YAML but is not a valid configuration
      stage: (s) =>
        s.vps
          .execOk(
            `cp -p ${CONFIG_DIR}/provider-config.yaml /root/provider-config.good && printf 'providers: []\\n' > ${CONFIG_DIR}/provider-config.yaml`,
          )
          .then(() => {}),
      cleanup: (s) =>
        s.vps.execOk(`cat /root/provider-config.good > ${CONFIG_DIR}/provider-config.yaml`).then(() => {}),
      says: /provider-config\.yaml/,
    }),
    failure(
      'exit 130: Ctrl-C while building the image',
      130,
      (s) => signalWhen(s.vps, ['--yes', '--force'], atStep('Building the image'), 'INT'),
      {
        says: /interrupt|SIGINT|roll/i,
      },
    ),
    failure(
      'exit 6: an archive root cannot read (launcher)',
      6,
      (s) => s.vps.exec(`cd /root/unreadable && ${WITHOUT_DAC} sh ./installer.sh --yes`),
      { stage: (s) => unreadableCopy(s), says: /cannot be read/ },
    ),
    failure(
      'exit 6: an archive root cannot read (ai-proxy install run directly)',
      6,
      (s) =>
        s.vps.exec(
          `${WITHOUT_DAC} /root/direct/ai-proxy install --yes --archive /root/unreadable/ai-proxy-release.tar.gz`,
        ),
      {
        stage: async (s) => {
          await unreadableCopy(s);
          await s.vps.execOk('mkdir -p /root/direct && tar -xzf /tmp/ai-proxy-release.tar.gz -C /root/direct ai-proxy');
        },
        says: /unreadable|could not be read/,
      },
    ),
    ...arm64Cases(),
  ]);

  // exit 13 from real causes: the new container cannot run, or the engine cannot start it
  group('the new container fails', 'bookworm', (s) => healthyInstall(s), [
    failure(
      'exit 13: a new release whose proxy cannot start here',
      13,
      (s) => s.installer(['--yes'], { dir: '/root/broken' }),
      {
        stage: async (s) => s.upload((await brokenRelease()).release, '/root/broken'),
        says: /health check.*(libstdc|exited)/s,
      },
    ),
    failure(
      'exit 13: the engine cannot start the container (its new port taken after the check)',
      13,
      // the port is free when the installer checks it (step 4) and taken when the engine starts
      // the container: another service started in between, as happens on a busy host
      (s) =>
        actWhen(
          s.vps,
          ['--yes', '--port', '9191'],
          atStep('Building the image'),
          `nohup ${PORT_HOLDER} >/dev/null 2>&1 & echo $! > /root/holder.pid; until ss -ltn | grep -q ':9191 '; do sleep 0.05; done`,
        ),
      {
        unstage: (s) => s.vps.execOk('kill "$(cat /root/holder.pid)"').then(() => {}),
        says: /did not start.*(9191|address already in use|port is already allocated)/s,
      },
    ),
  ]);

  group('host trouble', 'bookworm', (s) => healthyInstall(s), [
    failure('exit 5: engine stopped', 5, (s) => s.installer(['--yes', '--force']), {
      stage: (s) => s.vps.stopEngine(),
      unstage: (s) => s.vps.startEngine(),
      says: /engine|docker/i,
    }),
    failure('exit 10: read-only /tmp', 10, (s) => s.installer(['--yes', '--force']), {
      stage: (s) => s.vps.execOk('mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp').then(() => {}),
      unstage: (s) => s.vps.execOk('umount /tmp').then(() => {}),
      says: /\/tmp\/ai-proxy/,
    }),
    failure(
      'exit 10: full /tmp',
      10,
      (s) => s.installer(['--yes', '--force'], { dir: '/root/release', env: { TMPDIR: '/var/tmp' } }),
      {
        // the launcher needs room for the executable: an operator with a full /tmp points TMPDIR elsewhere
        stage: (s) =>
          s.vps
            .execOk(
              'mkdir -p /root/release && cp /tmp/installer.sh /tmp/ai-proxy-release.tar.gz /root/release/ && mount -t tmpfs -o size=16m tmpfs /tmp && (dd if=/dev/zero of=/tmp/fill bs=1M 2>/dev/null || true)',
            )
            .then(() => {}),
        unstage: (s) => s.vps.execOk('umount /tmp').then(() => {}),
        says: /\/tmp\/ai-proxy/,
      },
    ),
    failure('exit 4: no folder allows running programs', 4, (s) => s.installer(['--yes', '--force']), {
      // every candidate the launcher tries, remounted noexec (rbind keeps /var/lib/docker's mounts)
      stage: (s) =>
        s.vps
          .execOk(
            'for d in /tmp /var/tmp /root; do mount --bind $d $d && mount -o remount,bind,noexec $d; done; mount --rbind /var/lib /var/lib && mount -o remount,bind,noexec /var/lib',
          )
          .then(() => {}),
      unstage: (s) =>
        s.vps.execOk('umount -l /var/lib; for d in /root /var/tmp /tmp; do umount $d; done').then(() => {}),
      says: /noexec|running programs|TMPDIR/i,
    }),
  ]);

  // the engine's storage is a size-limited tmpfs here, so it can really run full
  group(
    'engine storage full',
    'bookworm',
    (s) => healthyInstall(s, 8080, false),
    [
      failure('exit 12: image build fails on a full disk', 12, (s) => s.installer(['--yes', '--force']), {
        stage: (s) =>
          s.vps
            .execOk(
              `avail=$(df --output=avail -B1 /var/lib/docker | tail -n 1); fallocate -l $((avail - 4 * 1024 * 1024)) /var/lib/docker/fill`,
            )
            .then(() => {}),
        unstage: (s) => s.vps.execOk('rm -f /var/lib/docker/fill').then(() => {}),
        says: /build|space/i,
      }),
    ],
    { dockerStorageBytes: 1536 * 1024 * 1024 },
  );

  scenario('exit 4: no Docker engine installed', 'bookworm-noengine', async (s) => {
    // nothing can have been installed before on a host without an engine: no rollback to prove
    await s.upload();
    const r = await s.installer(['--yes']);
    assert.equal(r.code, 4, r.output);
    assert.match(r.output, /docker/i);
    assert.equal(await s.vps.fileExists(CONFIG_DIR), false, 'nothing was configured');
    assert.equal(await s.vps.fileExists('/tmp/ai-proxy'), false, 'nothing was extracted');
  });
}

/** Root without the capabilities that let it read any file: as on NFS with root_squash. */
const WITHOUT_DAC = 'setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search';

/** A copy of the release whose archive has mode 000 (owner root), next to its launcher. */
async function unreadableCopy(s: Session): Promise<void> {
  await s.vps.execOk(
    'mkdir -p /root/unreadable && cp /tmp/installer.sh /tmp/ai-proxy-release.tar.gz /root/unreadable/ && chmod 000 /root/unreadable/ai-proxy-release.tar.gz',
  );
}

/**
 * The linux-arm64 release on this x64 VPS: refused by its launcher (uname -m), and by
 * `ai-proxy install` itself when the arm64 executable does run, as it does under qemu-user
 * (binfmt): the archive is arm64, the engine x64. Both need `npm run release -- --arch all`.
 */
function arm64Cases(): Case[] {
  const missing = arm64Missing();
  if (missing) {
    if (REQUIRE_E2E) throw new Error(`REQUIRE_E2E=1 and ${missing}`);
    console.log(`# the arm64 cases of exit 4 are not registered: ${missing}`);
    return [];
  }
  const arm64 = artifactsDir('arm64');
  return [
    failure(
      'exit 4: the arm64 release on an x64 host (launcher)',
      4,
      (s) => s.installer(['--yes'], { dir: '/root/arm64' }),
      {
        stage: (s) => s.upload(releaseIn(arm64), '/root/arm64'),
        says: /linux-arm64.*x86_64/,
      },
    ),
    failure(
      'exit 4: the arm64 release on an x64 engine (ai-proxy install under qemu)',
      4,
      (s) =>
        s.vps.exec(
          'cd /root/arm64 && ./qemu-aarch64-static -L rootfs ./ai-proxy install --yes --archive /root/arm64/ai-proxy-release.tar.gz',
          { timeoutMs: 600_000 },
        ),
      {
        stage: async (s) => {
          await s.upload(releaseIn(arm64), '/root/arm64');
          await s.vps.copyIn(QEMU_AARCH64, '/root/arm64/qemu-aarch64-static');
          await s.vps.execOk('cd /root/arm64 && tar -xzf ai-proxy-release.tar.gz ai-proxy rootfs');
        },
        says: /archive is for arm64.*engine runs x64/,
      },
    ),
  ];
}

/** A copy of the release with one byte of the archive flipped, next to its launcher. */
async function tamper(s: Session): Promise<void> {
  await s.vps.execOk(
    [
      'mkdir -p /root/tampered',
      'cp /tmp/installer.sh /tmp/ai-proxy-release.tar.gz /root/tampered/',
      'f=/root/tampered/ai-proxy-release.tar.gz',
      'off=$(( $(stat -c %s $f) / 2 ))',
      `b=$(dd if=$f bs=1 skip=$off count=1 2>/dev/null | od -An -tu1 | tr -d ' ')`,
      `printf "$(printf '\\\\%03o' $(( (b + 1) % 256 )))" | dd of=$f bs=1 seek=$off count=1 conv=notrunc 2>/dev/null`,
      '! cmp -s $f /tmp/ai-proxy-release.tar.gz',
    ].join(' && '),
  );
}
