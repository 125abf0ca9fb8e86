// One simulated VPS: a Debian container with its own Docker engine (ENVIRONMENT.md section 2).
// `--privileged` does not work on this host (no CAP_SYS_RESOURCE), hence the exact list of
// flags below. Every container, volume and network carries labels naming the harness process
// that made it, so a later run can remove what a crashed run left behind without touching
// what a concurrent run still uses.
import { docker, dockerOk, type RunResult } from './run.ts';
import { type Recipe, imageTag } from './recipes.ts';
import type { ContainerInspect } from './inspect.ts';

export const PREFIX = 'aip-vps-';
const LABEL = 'aip-vps.owner-pid';

export interface StartOptions {
  /** short scenario name, becomes part of the container name */
  name: string;
  /** start the engine once booted (default: when the recipe has one) */
  engine?: boolean;
  /** put the engine's storage on a size-limited tmpfs instead of a volume, to stage a full disk */
  dockerStorageBytes?: number;
}

export interface ExecOptions {
  user?: 'root' | 'operator';
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

let counter = 0;

export class Vps {
  private constructor(
    readonly name: string,
    readonly recipe: Recipe,
    readonly volume: string | undefined,
  ) {}

  static async start(recipe: Recipe, opts: StartOptions): Promise<Vps> {
    const slug = opts.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    const name = `${PREFIX}${process.pid}-${++counter}-${slug}`.slice(0, 60);
    const labels = ['--label', `${LABEL}=${process.pid}`];
    const volume = opts.dockerStorageBytes ? undefined : `${name}-docker`;
    if (volume) await dockerOk(['volume', 'create', ...labels, volume]);
    const storage = volume
      ? ['-v', `${volume}:/var/lib/docker`]
      : ['--mount', `type=tmpfs,destination=/var/lib/docker,tmpfs-size=${opts.dockerStorageBytes}`];
    const vps = new Vps(name, recipe, volume);
    try {
      await dockerOk(
        [
          'run',
          '-d',
          '--name',
          name,
          '--hostname',
          slug.slice(0, 40) || 'vps',
          ...labels,
          // systemd must be PID 1 itself; the other VPSes get docker-init to reap orphans
          ...(recipe.init === 'systemd' ? ['--tmpfs', '/run/lock'] : ['--init']),
          '--cap-add',
          'ALL',
          '--cap-drop',
          'SYS_RESOURCE',
          '--security-opt',
          'seccomp=unconfined',
          '--security-opt',
          'apparmor=unconfined',
          '--security-opt',
          'systempaths=unconfined',
          '--cgroupns',
          'private',
          '--tmpfs',
          '/run',
          ...storage,
          imageTag(recipe),
        ],
        { timeoutMs: 60_000 },
      );
      await vps.booted();
      if (recipe.init !== 'systemd' && (opts.engine ?? recipe.engine)) await vps.startEngine();
    } catch (error) {
      await vps.remove();
      throw error;
    }
    return vps;
  }

  /** `sh -c script` inside the VPS, as root or as the ordinary user `operator`. */
  exec(script: string, opts: ExecOptions = {}): Promise<RunResult> {
    const args = ['exec', '-i'];
    if (opts.user === 'operator') args.push('-u', 'operator', '-w', '/home/operator');
    for (const [k, v] of Object.entries(opts.env ?? {})) args.push('-e', `${k}=${v}`);
    args.push(this.name, 'sh', '-c', script);
    return docker(args, { input: opts.input, timeoutMs: opts.timeoutMs ?? 300_000 });
  }

  /** Starts `sh -c script` inside the VPS and returns at once (`docker exec -d`). */
  async execDetached(script: string): Promise<void> {
    await dockerOk(['exec', '-d', this.name, 'sh', '-c', script]);
  }

  async execOk(script: string, opts: ExecOptions = {}): Promise<RunResult> {
    const r = await this.exec(script, opts);
    if (r.code !== 0) throw new Error(`in ${this.name}: \`${script}\` exited ${r.code}:\n${r.output.slice(-3000)}`);
    return r;
  }

  /** The test's `scp`: copies a host file into the VPS. */
  async copyIn(hostPath: string, vpsPath: string): Promise<void> {
    await dockerOk(['cp', hostPath, `${this.name}:${vpsPath}`], { timeoutMs: 120_000 });
  }

  async readFile(path: string): Promise<string> {
    return (await this.execOk(`cat '${path}'`)).stdout;
  }

  async fileExists(path: string): Promise<boolean> {
    return (await this.exec(`test -e '${path}' || test -L '${path}'`)).code === 0;
  }

  async waitFor(check: string, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.exec(check, { timeoutMs: 30_000 })).code === 0) return;
      if (Date.now() > deadline)
        throw new Error(`${this.name}: ${what} (waited ${timeoutMs / 1000} s for \`${check}\`)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Waits until the VPS has booted: its cgroup mounts, or systemd up with the engine answering. */
  async booted(): Promise<void> {
    if (this.recipe.init !== 'systemd')
      return this.waitFor('test -e /run/vps-booted', 30_000, 'the VPS did not finish booting (cgroup mounts)');
    // `degraded` too: a unit of the guest's own that fails in a container is not the test's business
    await this.waitFor(
      'state=$(systemctl is-system-running 2>/dev/null); [ "$state" = running ] || [ "$state" = degraded ]',
      120_000,
      'systemd did not finish booting',
    );
    await this.waitFor('docker info >/dev/null 2>&1', 120_000, 'docker.service did not start the engine');
  }

  /** A reboot of a VPS that boots systemd: systemd shuts down (SIGRTMIN+3), the VPS starts again. */
  async reboot(): Promise<void> {
    if (this.recipe.init !== 'systemd')
      throw new Error(`${this.name} has no init to reboot (recipe ${this.recipe.name})`);
    await dockerOk(['restart', '--time', '90', this.name], { timeoutMs: 180_000 });
    await this.booted();
  }

  async startEngine(): Promise<void> {
    await this.execOk(this.recipe.init === 'systemd' ? 'systemctl start docker' : 'vps-engine start', {
      timeoutMs: 120_000,
    });
  }

  async stopEngine(): Promise<void> {
    await this.execOk(this.recipe.init === 'systemd' ? 'systemctl stop docker docker.socket' : 'vps-engine stop', {
      timeoutMs: 120_000,
    });
  }

  /** `docker inspect` of an object of the VPS's own engine, parsed; undefined when it does not exist. */
  async inspect(object: string | undefined): Promise<ContainerInspect | undefined> {
    if (!object) return undefined;
    const r = await this.exec(`docker inspect '${object}'`);
    if (r.code !== 0) return undefined;
    return (JSON.parse(r.stdout) as ContainerInspect[])[0];
  }

  async remove(): Promise<void> {
    await docker(['rm', '-f', '-v', this.name], { timeoutMs: 120_000 });
    if (this.volume) await docker(['volume', 'rm', '-f', this.volume], { timeoutMs: 120_000 });
  }
}

/** Removes containers and volumes of earlier harness processes that are no longer alive. */
export async function removeStale(): Promise<string[]> {
  const removed: string[] = [];
  const alive = (pid: string) => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch {
      return false;
    }
  };
  const list = async (kind: 'container' | 'volume' | 'network') => {
    const fmt =
      kind === 'container' ? '{{.Names}} {{.Label "aip-vps.owner-pid"}}' : '{{.Name}} {{.Label "aip-vps.owner-pid"}}';
    const args = kind === 'container' ? ['ps', '-a'] : [kind, 'ls'];
    const r = await dockerOk([...args, '--filter', `label=${LABEL}`, '--format', fmt]);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]);
  };
  for (const kind of ['container', 'volume', 'network'] as const) {
    for (const [name, pid] of await list(kind)) {
      if (!name.startsWith(PREFIX) || alive(pid)) continue;
      const rm =
        kind === 'container'
          ? ['rm', '-f', '-v', name]
          : kind === 'volume'
            ? ['volume', 'rm', '-f', name]
            : ['network', 'rm', name];
      if ((await docker(rm, { timeoutMs: 120_000 })).code === 0) removed.push(`${kind} ${name}`);
    }
  }
  return removed;
}
