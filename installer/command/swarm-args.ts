// The --swarm flags and their combinations, checked before anything touches the host: a join
// token that cannot be one is refused here (exit 2) instead of by the manager after a wait.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { EXIT } from './exit-codes.ts';
import { InstallError } from './errors.ts';
import { isDnsName } from '../../src/contract/names.ts';

const SWARM_MODES = ['init', 'join', 'upgrade', 'leave'] as const;
export type SwarmMode = (typeof SWARM_MODES)[number];
const SWARM_PORT = 2377;

export interface SwarmOptions {
  mode: SwarmMode;
  /** host:port of a manager (join). */
  manager?: string;
  token?: string;
  replicas?: number;
  advertiseAddr?: string;
}

/** SWMTKN-1-<50 base-36 chars of the CA digest>-<25 base-36 chars of secret>. */
const TOKEN = /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/;
const INTERFACE = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

function usage(message: string, hint: string): InstallError {
  return new InstallError(EXIT.usage, message, hint);
}

const TOKEN_FILE_MAX = 4096;
const TOKEN_HINT =
  "pass it on stdin instead: echo 'SWMTKN-...' | sudo ./installer.sh --swarm join --manager ADDR --token-file -";

type Str = (flag: string) => { value: string | undefined; source: string };

/**
 * The join token, from --token-file (a file, or stdin as `-`) or AI_PROXY_SWARM_TOKEN; never
 * from the command line, where `ps` and /proc show it to every user of the host for as long as
 * the installer runs. Messages name where it came from, never the token.
 */
function tokenFrom(str: Str): { value: string | undefined; source: string } {
  const flag = str('token');
  if (flag.source === '--token')
    throw usage('a join token on the command line is visible to every user of this host (ps)', TOKEN_HINT);
  const file = str('token-file').value;
  if (file === undefined) return flag;
  const source = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file)
      .subarray(0, TOKEN_FILE_MAX)
      .toString('utf8');
  } catch (error) {
    throw usage(
      `cannot read the join token from ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'give a readable file, or - for stdin',
    );
  }
  return { value: text.split('\n')[0]?.trim() || undefined, source: `--token-file ${source}` };
}

/** `ADDR`, `ADDR:PORT` or `[IPv6]:PORT` -> `host:port` (default port 2377); undefined when invalid. */
export function normalizeManager(text: string): string | undefined {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(text);
  const [host, port] = v6
    ? [v6[1]!, v6[2]]
    : isIP(text) === 6
      ? [text, undefined]
      : (text.split(':') as [string, string | undefined]);
  if (!v6 && isIP(text) !== 6 && text.split(':').length > 2) return undefined;
  const number = port === undefined ? SWARM_PORT : Number(port);
  if (!/^\d*$/.test(port ?? '') || !Number.isInteger(number) || number < 1 || number > 65535) return undefined;
  if (isIP(host) === 0 && !isDnsName(host.toLowerCase())) return undefined;
  return isIP(host) === 6 ? `[${host}]:${number}` : `${host}:${number}`;
}

export function parseSwarmOptions(
  str: Str,
  options: { uninstall: boolean; bindGiven: boolean; port?: number },
): SwarmOptions | undefined {
  const mode = str('swarm').value;
  const manager = str('manager');
  const token = tokenFrom(str);
  const replicas = str('replicas').value;
  const advertise = str('advertise-addr').value;
  if (mode === undefined) {
    const stray = [
      manager.value && '--manager',
      token.value && token.source !== 'AI_PROXY_SWARM_TOKEN' && token.source,
      replicas && '--replicas',
      advertise && '--advertise-addr',
    ].filter(Boolean);
    if (stray.length)
      throw usage(
        `${stray[0]} only makes sense with --swarm`,
        "e.g. echo 'SWMTKN-...' | sudo ./installer.sh --swarm join --manager ADDR --token-file -",
      );
    return undefined;
  }
  if (!(SWARM_MODES as readonly string[]).includes(mode))
    throw usage(`unknown --swarm mode "${mode}"`, `use one of: ${SWARM_MODES.join(', ')}`);
  const swarm: SwarmOptions = { mode: mode as SwarmMode };
  if (options.uninstall)
    throw usage(
      '--uninstall cannot be combined with --swarm',
      'run `sudo ./installer.sh --uninstall` on the manager: it removes the stack',
    );
  if (options.bindGiven)
    throw usage(
      '--bind cannot be used with --swarm',
      'Swarm publishes host-mode ports on every address of each node; use a firewall or a load balancer to restrict access',
    );
  if (mode === 'join') {
    if (!manager.value || !token.value)
      throw usage(
        '--swarm join needs --manager ADDR and the join token (--token-file FILE, or - for stdin)',
        'copy the exact command --swarm init printed on the manager',
      );
    const normalized = normalizeManager(manager.value);
    if (!normalized)
      throw usage(`invalid manager address "${manager.value}"`, 'give ADDR or ADDR:PORT, e.g. --manager 10.0.0.2:2377');
    if (!TOKEN.test(token.value))
      throw usage(
        `invalid join token from ${token.source}: it is not a Swarm join token (SWMTKN-1-...)`,
        'copy the token --swarm init printed, or run on the manager: docker swarm join-token worker',
      );
    swarm.manager = normalized;
    swarm.token = token.value;
  } else if (manager.value || (token.value && token.source !== 'AI_PROXY_SWARM_TOKEN')) {
    throw usage(`--manager and --token-file only make sense with --swarm join`, 'drop them');
  }
  if (replicas !== undefined) {
    if (mode !== 'init' && mode !== 'upgrade')
      throw usage('--replicas only makes sense with --swarm init or upgrade', 'drop --replicas');
    if (!/^[1-9][0-9]{0,2}$/.test(replicas))
      throw usage(`invalid --replicas "${replicas}"`, 'give a whole number from 1 to 999');
    swarm.replicas = Number(replicas);
  }
  if (advertise !== undefined) {
    if (mode !== 'init') throw usage('--advertise-addr only makes sense with --swarm init', 'drop --advertise-addr');
    if (isIP(advertise) === 0 && !INTERFACE.test(advertise))
      throw usage(
        `invalid --advertise-addr "${advertise}"`,
        'give an IP address of this host (or an interface name such as eth0)',
      );
    swarm.advertiseAddr = advertise;
  }
  if (mode === 'leave' && options.port !== undefined)
    throw usage('--port cannot be combined with --swarm leave', 'drop --port');
  if (mode === 'join' && options.port !== undefined)
    throw usage('--port is chosen on the manager (--swarm init), not on joining nodes', 'drop --port');
  return swarm;
}
