// The installer's command line and its AI_PROXY_* environment equivalents, parsed into Options
// and checked; the flags themselves are defined once, in flags.ts.
import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { EXIT } from './exit-codes.ts';
import { FLAGS } from './flags.ts';
import { InstallError } from './errors.ts';
import { MAX_DRAIN_TIMEOUT_S } from '../../src/config/drain-env.ts';
import { parsePort } from './port-input.ts';
import { parseSwarmOptions, type SwarmOptions } from './swarm-args.ts';
import { parseTlsOptions, type TlsOptions } from './https-args.ts';

export interface Options {
  port?: number;
  bind: string;
  bindGiven: boolean;
  healthTimeout: number;
  /** --drain-timeout: written to .env as DRAIN_TIMEOUT; the installer waits for the old proxy's drain. */
  drainTimeout?: number;
  archive?: string;
  yes: boolean;
  force: boolean;
  dryRun: boolean;
  uninstall: boolean;
  purge: boolean;
  json: boolean;
  verbose: boolean;
  version: boolean;
  help: boolean;
  /** Set with --swarm (swarm/args.ts validates the combinations). */
  swarm?: SwarmOptions;
  /** Set when a TLS flag (or --no-tls) was given; tls.ts checks the combinations. */
  tls?: TlsOptions;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);

const VALUE_FLAGS = new Set(FLAGS.filter((flag) => flag.value).map((flag) => `--${flag.name}`));

/**
 * `--port -1` is a bad port, not a missing value: parseArgs would call any dash-led word after
 * a flag ambiguous (exit 2). A negative number can never be a flag, so it is joined to its flag
 * as `--port=-1` and reaches the flag's own check (exit 8 for a port).
 */
function joinNegativeValues(argv: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (VALUE_FLAGS.has(arg) && next !== undefined && /^-[0-9]/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: joinNegativeValues(argv),
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        FLAGS.map((flag) => [
          flag.name,
          { type: flag.value ? 'string' : 'boolean', ...(flag.short ? { short: flag.short } : {}) } as const,
        ]),
      ),
    });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new InstallError(
      EXIT.usage,
      (error as Error).message.split('\n')[0] ?? 'invalid usage',
      'run `ai-proxy install --help` for the flags',
    );
  }
  const fromEnv = (flag: string): string | undefined => {
    const def = FLAGS.find((f) => f.name === flag);
    const raw = def?.env ? env[def.env] : undefined;
    return raw === '' ? undefined : raw;
  };
  const str = (flag: string): { value: string | undefined; source: string } => {
    const given = values[flag];
    if (typeof given === 'string') return { value: given, source: `--${flag}` };
    const def = FLAGS.find((f) => f.name === flag);
    return { value: fromEnv(flag), source: def?.env ?? `--${flag}` };
  };
  const bool = (flag: string): boolean => values[flag] === true || TRUE.has((fromEnv(flag) ?? '').toLowerCase());

  const options: Options = {
    bind: '0.0.0.0',
    bindGiven: false,
    healthTimeout: 60,
    yes: bool('yes'),
    force: bool('force'),
    dryRun: bool('dry-run'),
    uninstall: bool('uninstall'),
    purge: bool('purge'),
    json: bool('json'),
    verbose: bool('verbose'),
    version: bool('version'),
    help: bool('help'),
  };

  const port = str('port');
  if (port.value !== undefined) {
    const result = parsePort(port.value);
    if (!result.ok)
      throw new InstallError(
        EXIT.invalidPort,
        `invalid port from ${port.source}: ${result.reason}`,
        'give a plain number from 1 to 65535, e.g. --port 8080',
      );
    options.port = result.port;
  }
  const bind = str('bind');
  if (bind.value !== undefined) {
    if (isIP(bind.value) === 0)
      throw new InstallError(
        EXIT.usage,
        `invalid bind address from ${bind.source}: "${bind.value}" is not an IPv4 or IPv6 address`,
        'use e.g. 0.0.0.0, 127.0.0.1 or ::',
      );
    options.bind = bind.value;
    options.bindGiven = true;
  }
  const timeout = str('health-timeout');
  if (timeout.value !== undefined) {
    if (!/^[1-9][0-9]{0,3}$/.test(timeout.value) || Number(timeout.value) > 3600) {
      throw new InstallError(
        EXIT.usage,
        `invalid health timeout from ${timeout.source}: "${timeout.value}"`,
        'give whole seconds from 1 to 3600',
      );
    }
    options.healthTimeout = Number(timeout.value);
  }
  const drain = str('drain-timeout');
  if (drain.value !== undefined) {
    if (!/^(0|[1-9][0-9]{0,4})$/.test(drain.value) || Number(drain.value) > MAX_DRAIN_TIMEOUT_S) {
      throw new InstallError(
        EXIT.usage,
        `invalid drain timeout from ${drain.source}: "${drain.value}"`,
        `give whole seconds from 0 to ${MAX_DRAIN_TIMEOUT_S}`,
      );
    }
    options.drainTimeout = Number(drain.value);
  }
  const archive = str('archive');
  if (archive.value !== undefined) options.archive = archive.value;
  if (options.purge && !options.uninstall)
    throw new InstallError(
      EXIT.usage,
      '--purge only makes sense with --uninstall',
      'run `ai-proxy install --uninstall --purge`',
    );
  if (options.uninstall && options.port !== undefined)
    throw new InstallError(EXIT.usage, '--port cannot be combined with --uninstall', 'drop --port');
  const swarm = parseSwarmOptions(str, options);
  if (swarm) options.swarm = swarm;
  if (options.drainTimeout !== undefined && (options.uninstall || options.swarm))
    throw new InstallError(
      EXIT.usage,
      `--drain-timeout cannot be combined with ${options.uninstall ? '--uninstall' : '--swarm'}`,
      'drop it (Swarm stops its tasks itself: docs/scale-out.md)',
    );
  const tls = parseTlsOptions(str, bool('no-tls'), (message, hint) => new InstallError(EXIT.usage, message, hint));
  if (tls) {
    if (options.uninstall || options.swarm)
      throw new InstallError(
        EXIT.usage,
        `TLS flags cannot be combined with ${options.uninstall ? '--uninstall' : '--swarm'}`,
        'drop them',
      );
    options.tls = tls;
  }
  return options;
}
