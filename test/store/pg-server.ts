// A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries, initdb into a temp
// folder, `postgres` as a child process on a free loopback port, deleted afterwards. Nothing
// depends on a system service. initdb refuses to run as root, so as root the server runs as
// the `postgres` user (or nobody) and owns only its temp folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../lib/free-port.ts';

/** The folder with initdb and postgres, or undefined when the server is not installed. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

/** A skip reason, or false. With REQUIRE_E2E=1 a missing server is a failure, not a skip. */
export function postgresSkip(): string | false {
  if (postgresBinDir() || process.env.REQUIRE_E2E === '1') return false;
  return 'PostgreSQL is not installed (apt-get install -y postgresql; REQUIRE_E2E=1 makes this a failure)';
}

/** uid/gid to run the server as when this process is root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string, user: string) => spawnSync('id', [flag, user], { encoding: 'utf8' });
  for (const user of ['postgres', 'nobody']) {
    const u = id('-u', user);
    const g = id('-g', user);
    if (u.status === 0 && g.status === 0) return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error('running as root and neither the postgres nor the nobody user exists to run PostgreSQL');
}

export interface PgServer {
  port: number;
  /** postgres://aip@127.0.0.1:PORT/DATABASE for a new, empty database. */
  createDatabase(name: string): Promise<string>;
  log(): string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PgServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'aip-pg-'));
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  const env = { PATH: process.env.PATH ?? '', LANG: 'C', LC_ALL: 'C' };
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'aip', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    ...as,
    env,
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  let log = '';
  let child: ChildProcess | undefined;
  let port = 0;
  // A port found free can be taken before postgres binds it: try a few.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    const c = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=50',
      ],
      { ...as, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    c.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    c.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    if (await ready(port, c)) child = c;
    else c.kill('SIGKILL');
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start:\n${log}`);
  }
  const server = child;
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'aip', database: 'postgres' });
  await admin.connect();
  return {
    port,
    async createDatabase(name: string) {
      await admin.query(`CREATE DATABASE ${name}`);
      return `postgres://aip@127.0.0.1:${port}/${name}`;
    },
    log: () => log,
    async stop() {
      await admin.end().catch(() => {});
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT'); // fast shutdown: disconnects clients
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves true once the server accepts connections, false if it exits or takes 20 s. */
async function ready(port: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const c = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'aip',
      database: 'postgres',
      connectionTimeoutMillis: 1000,
    });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return false;
}
