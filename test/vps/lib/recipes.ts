// The simulated VPS images: what each is made of, and the hashes that name them.
// A change to a recipe, to the Dockerfile below or to the scripts in image/ changes the tag,
// so a stale image is never reused; the debootstrap root filesystem has its own, narrower hash
// (suite + packages) so that changing only the Dockerfile does not download Debian again.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Suite = 'bullseye' | 'bookworm' | 'trixie';

export interface Recipe {
  /** image name part, also the name scenarios use: `bookworm`, `bookworm-noengine` */
  name: string;
  suite: Suite;
  /** Debian release number, for the report */
  release: string;
  /** extra packages for debootstrap --include (minbase already has sh, tar, gzip, perl-base, util-linux) */
  packages: string[];
  /** whether Debian's docker.io is installed; the engine is started by the harness, never by the image */
  engine: boolean;
  /**
   * `systemd`: the VPS boots systemd as PID 1 (Debian's systemd-sysv), which starts the engine
   * from docker.service as on a real host, and `docker restart` of the VPS is a reboot. Without
   * it a small script is PID 1's child and the harness starts the engine.
   */
  init?: 'systemd';
}

export const MIRROR = 'http://deb.debian.org/debian';

// What an operator finds on a small Debian VPS: a shell, tar/gzip, sudo, iproute2 (ss), procps
// (ps, pkill), curl, and Debian's own docker.io. `script` (bsdutils) drives the interactive prompt.
const OPERATOR_TOOLS = ['ca-certificates', 'curl', 'gzip', 'iproute2', 'procps', 'sudo', 'tar'];

export const RECIPES: readonly Recipe[] = [
  { name: 'bullseye', suite: 'bullseye', release: '11', packages: [...OPERATOR_TOOLS, 'docker.io'], engine: true },
  { name: 'bookworm', suite: 'bookworm', release: '12', packages: [...OPERATOR_TOOLS, 'docker.io'], engine: true },
  // trixie split the client out of docker.io into docker-cli, only recommended, which debootstrap skips
  {
    name: 'trixie',
    suite: 'trixie',
    release: '13',
    packages: [...OPERATOR_TOOLS, 'docker.io', 'docker-cli'],
    engine: true,
  },
  { name: 'bookworm-noengine', suite: 'bookworm', release: '12', packages: [...OPERATOR_TOOLS], engine: false },
  // Debian 12's systemd 252 still boots on the cgroup v1 hierarchies of this project's hosts
  // (trixie's 257 needs a kernel switch for them); dbus as on any VPS with systemd.
  {
    name: 'bookworm-systemd',
    suite: 'bookworm',
    release: '12',
    packages: [...OPERATOR_TOOLS, 'docker.io', 'systemd', 'systemd-sysv', 'dbus'],
    engine: true,
    init: 'systemd',
  },
];

export function recipe(name: string): Recipe {
  const found = RECIPES.find((r) => r.name === name);
  if (!found) throw new Error(`unknown VPS recipe "${name}"; known: ${RECIPES.map((r) => r.name).join(', ')}`);
  return found;
}

export const IMAGE_DIR = join(import.meta.dirname, '..', 'image');

/** The boot scripts an image has (their content is part of its tag). */
function bootScripts(r: Recipe): string[] {
  return r.init === 'systemd' ? ['vps-boot', 'vps-engine', 'vps-systemd'] : ['vps-boot', 'vps-engine'];
}

/** The Dockerfile that turns the imported root filesystem into a VPS image. */
export function dockerfile(baseTag: string, r: Recipe): string {
  const systemd =
    r.init === 'systemd'
      ? [
          // what systemd looks for to know it runs in a container, and the signal that shuts it down
          'ENV container=docker',
          'STOPSIGNAL SIGRTMIN+3',
          // no console to log in on, and no hardware clock or kernel modules to set up
          'RUN systemctl mask getty.target console-getty.service systemd-logind.service' +
            ' systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount',
          'COPY vps-systemd /usr/local/sbin/',
          'CMD ["/usr/local/sbin/vps-systemd"]',
        ]
      : ['CMD ["/usr/local/sbin/vps-boot"]'];
  return [
    `FROM ${baseTag}`,
    // an ordinary login user, allowed to use sudo as a VPS's admin account is (NOPASSWD: no
    // terminal to type a password into); apt lists dropped to keep the image small
    'RUN useradd --create-home --shell /bin/bash --no-user-group --gid users operator' +
      " && echo 'operator ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/operator && chmod 0440 /etc/sudoers.d/operator" +
      ' && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin',
    'COPY vps-boot vps-engine /usr/local/sbin/',
    ...systemd,
    '',
  ].join('\n');
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

export function rootfsHash(r: Recipe): string {
  return sha(JSON.stringify({ suite: r.suite, packages: [...r.packages].sort(), mirror: MIRROR, variant: 'minbase' }));
}

export function imageHash(r: Recipe): string {
  const scripts = bootScripts(r).map((f) => readFileSync(join(IMAGE_DIR, f), 'utf8'));
  return sha(JSON.stringify({ rootfs: rootfsHash(r), dockerfile: dockerfile('BASE', r), scripts }));
}

export const baseTag = (r: Recipe) => `aip-vps-base:${r.name}-${rootfsHash(r)}`;
export const imageTag = (r: Recipe) => `aip-vps-img:${r.name}-${imageHash(r)}`;
