// One VPS as a scenario uses it: the uploaded release, the installer run as an operator would
// run it, and the evidence to print when an assertion fails.
import type { RunResult } from './run.ts';
import { Vps, type StartOptions } from './vps.ts';
import { recipe } from './recipes.ts';
import { type Release, currentRelease } from './artifacts.ts';
import { LOG_FILE } from './installed.ts';

export interface InstallerRun extends RunResult {
  args: string[];
}

export class Session {
  /** the most recent installer run: its exit code goes into the report table */
  last?: InstallerRun;
  /** a measured fact for the table's note column (e.g. where a SIGKILL landed) */
  note?: string;

  constructor(readonly vps: Vps) {}

  static async open(recipeName: string, opts: StartOptions): Promise<Session> {
    return new Session(await Vps.start(recipe(recipeName), opts));
  }

  /** The test's `scp`: both release files into a folder of the VPS (default /tmp). */
  async upload(release: Release = currentRelease(), dir = '/tmp'): Promise<void> {
    await this.vps.execOk(`mkdir -p '${dir}'`);
    await this.vps.copyIn(release.archive, `${dir}/ai-proxy-release.tar.gz`);
    await this.vps.copyIn(release.launcher, `${dir}/installer.sh`);
  }

  /**
   * `cd DIR && sh ./installer.sh ARGS`, as root (default) or as the ordinary user; with `sudo`,
   * the user runs `sudo ./installer.sh ARGS` as the README tells operators to.
   */
  async installer(
    args: string[],
    opts: {
      user?: 'root' | 'operator';
      sudo?: boolean;
      env?: Record<string, string>;
      dir?: string;
      timeoutMs?: number;
    } = {},
  ): Promise<InstallerRun> {
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const command = opts.sudo ? 'sudo ./installer.sh' : 'sh ./installer.sh';
    const r = await this.vps.exec(`cd '${opts.dir ?? '/tmp'}' && ${command} ${quoted}`, {
      user: opts.user,
      env: opts.env,
      timeoutMs: opts.timeoutMs ?? 300_000,
    });
    this.last = { ...r, args };
    return this.last;
  }

  /** What to show when a scenario fails: the last installer output and the installer log's tail. */
  async evidence(): Promise<string> {
    const parts: string[] = [];
    if (this.last)
      parts.push(
        `--- installer.sh ${this.last.args.join(' ')} -> exit ${this.last.code}\n${this.last.output.slice(-3000)}`,
      );
    const log = await this.vps
      .exec(`grep -v ' build: ' ${LOG_FILE} 2>&1 | tail -n 40; docker ps -a 2>&1`)
      .catch(() => undefined);
    if (log) parts.push(`--- ${LOG_FILE} (tail) and docker ps -a in ${this.vps.name}\n${log.output}`);
    return parts.join('\n');
  }

  async close(): Promise<void> {
    await this.vps.remove();
  }
}

export type { StartOptions };
