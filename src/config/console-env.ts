// The web console's variables: CONSOLE_PORT, CONSOLE_HOST, CONSOLE_ON_PUBLIC_PORT and
// CONSOLE_PASSWORD_HASH (docs/console.md).
import { DEFAULT_CONSOLE_HOST } from '../contract/variables.ts';
import type { TlsEnv } from './env.ts';
import { EnvError, optionalPort } from './env-values.ts';

/** Where the console is served and who may sign in (docs/console.md). */
export interface ConsoleEnv {
  /** The console's own listener (plain HTTP); undefined: none. */
  port: number | undefined;
  /** Its address: loopback unless the operator says otherwise (a container publishes it on the host's loopback). */
  host: string;
  /** Also under /console/ on PORT, which must serve HTTPS. */
  onPublicPort: boolean;
  /** scrypt hash of the console password (`ai-proxy console hash-password`); undefined: AUTH_TOKEN signs in. */
  passwordHash: string | undefined;
}

/** `$scrypt$ln=15,r=8,p=1$SALT$HASH` (base64): what `ai-proxy console hash-password` prints. */
export const PASSWORD_HASH_FORMAT =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,88}={0,2})\$([A-Za-z0-9+/]{43,88}={0,2})$/;

const BOOLEAN: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

/** The console's variables (docs/console.md); undefined when it is off. */
export function validateConsoleEnv(
  record: Record<string, string | undefined>,
  port: number,
  tls: TlsEnv | undefined,
): ConsoleEnv | undefined {
  const get = (name: string) => record[name]?.trim() || undefined;
  const consolePort = optionalPort(record, 'CONSOLE_PORT');
  const publicText = get('CONSOLE_ON_PUBLIC_PORT')?.toLowerCase();
  const onPublicPort = publicText === undefined ? false : BOOLEAN[publicText];
  if (onPublicPort === undefined) throw new EnvError(`CONSOLE_ON_PUBLIC_PORT: "${publicText}" is not true or false`);
  if (onPublicPort && !tls)
    throw new EnvError(
      'CONSOLE_ON_PUBLIC_PORT: needs HTTPS on PORT (TLS_CERT_FILE/TLS_KEY_FILE or ACME_DOMAIN); without it use CONSOLE_PORT on loopback and an SSH tunnel',
    );
  const host = get('CONSOLE_HOST');
  const passwordHash = get('CONSOLE_PASSWORD_HASH');
  if (consolePort === undefined && !onPublicPort) {
    for (const name of ['CONSOLE_HOST', 'CONSOLE_PASSWORD_HASH'] as const)
      if (get(name)) throw new EnvError(`${name}: set while the console is off (set CONSOLE_PORT, or remove ${name})`);
    return undefined;
  }
  if (consolePort !== undefined && (consolePort === port || consolePort === tls?.httpPort))
    throw new EnvError(`CONSOLE_PORT: ${consolePort} is taken by ${consolePort === port ? 'PORT' : 'HTTP_PORT'}`);
  if (host !== undefined && !/^[A-Za-z0-9.:-]{1,253}$/.test(host))
    throw new EnvError(`CONSOLE_HOST: "${host.slice(0, 60)}" is not an address (e.g. 127.0.0.1)`);
  if (passwordHash !== undefined && !PASSWORD_HASH_FORMAT.test(passwordHash))
    throw new EnvError(
      'CONSOLE_PASSWORD_HASH: not a hash made by `ai-proxy console hash-password` ($scrypt$ln=...,r=...,p=...$SALT$HASH)',
    );
  return { port: consolePort, host: host ?? DEFAULT_CONSOLE_HOST, onPublicPort, passwordHash };
}
