// systemd on this host: whether it is the init, the unit file of the boot unit, and the
// systemctl calls that load and enable it. Host paths are read under ctx.hostRoot, so the
// installer tests (whose hostRoot is a temp copy without /run/systemd) never touch the real init.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join, basename } from 'node:path';
import { writeFileAtomic } from '../config-files/atomic-write.ts';
import type { BootHost } from './boot-unit.ts';

/** The absolute path of `name` on PATH, if any. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(delimiter)
    .filter((dir) => dir.startsWith('/'))
    .map((dir) => join(dir, name))
    .find((path) => existsSync(path));
}

/** A file's text, or undefined when there is none. */
export function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function systemctl(args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync('systemctl', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env, timeout: 60_000 });
}

/** What systemd offers here; systemctl is asked only when systemd is the init. */
export function readBootHost(hostRoot: string, unitPath: string, env: NodeJS.ProcessEnv): BootHost {
  // sd_booted()'s own test: this directory exists only when systemd is PID 1.
  const systemd = existsSync(join(hostRoot, 'run/systemd/system')) && findOnPath('systemctl', env) !== undefined;
  const current = readIfThere(unitPath);
  const cli = findOnPath('docker', env);
  if (!systemd) return { systemd, dockerService: false, current, ...(cli ? { cli } : {}) };
  let dockerService = false;
  try {
    dockerService = systemctl(['show', '--property=LoadState', '--value', 'docker.service'], env).trim() === 'loaded';
  } catch {
    // systemctl cannot reach systemd: treated as no docker.service
  }
  return { systemd, dockerService, current, ...(cli ? { cli } : {}) };
}

export const unitName = (unitPath: string) => basename(unitPath);

/** Writes the unit (root 0644), reloads systemd and enables it (unless told not to); it runs at the next engine start. */
export function installUnit(unitPath: string, text: string, env: NodeJS.ProcessEnv, enable = true): void {
  writeFileAtomic(unitPath, text, { mode: 0o644, uid: 0, gid: 0 });
  systemctl(['daemon-reload'], env);
  if (enable) systemctl(['enable', '--quiet', unitName(unitPath)], env);
}

/** Stops, disables and deletes the unit; the containers it started keep running (it has no ExecStop). */
export function removeUnit(unitPath: string, env: NodeJS.ProcessEnv): void {
  try {
    systemctl(['disable', '--now', '--quiet', unitName(unitPath)], env);
  } catch {
    // not enabled, or not loaded: the file goes all the same
  }
  rmSync(unitPath, { force: true });
  systemctl(['daemon-reload'], env);
}

export function unitEnabled(unitPath: string, env: NodeJS.ProcessEnv): boolean {
  try {
    return systemctl(['is-enabled', unitName(unitPath)], env).trim() === 'enabled';
  } catch {
    return false;
  }
}

/** Puts back a unit this run replaced, as it was enabled or not. */
export function restoreUnit(unitPath: string, text: string, enabled: boolean, env: NodeJS.ProcessEnv): void {
  writeFileAtomic(unitPath, text, { mode: 0o644, uid: 0, gid: 0 });
  systemctl(['daemon-reload'], env);
  systemctl([enabled ? 'enable' : 'disable', '--quiet', unitName(unitPath)], env);
}
