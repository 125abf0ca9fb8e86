// The .env file and the environment: a tiny parser and validator with no dependencies, because
// `ai-proxy healthcheck` reads PORT from it every few seconds and must start fast. The installer
// reads an installed .env with this parser too, so both read every value alike.
import { ACME_STATE_DIR, ENV_FILE } from '../contract/container.ts';
import { isDnsName } from '../contract/names.ts';
import { DEFAULT_CONSOLE_HOST, DEFAULT_PORT } from '../contract/variables.ts';

export interface EnvConfig {
  port: number;
  authToken: string;
  logLevel: LogLevel;
  /** HTTPS on PORT; undefined: plain HTTP. */
  tls?: TlsEnv;
  drain: DrainEnv;
  /** Where keys and the ledger are kept (src/store/); both unset: nowhere (client keys and the ledger are off). */
  store?: StoreEnv;
  /** The web console (src/console/); undefined: off. */
  console?: ConsoleEnv;
}

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

/** DATABASE_URL wins over DATA_DIR; DATA_DIR may be relative to the config folder. */
export interface StoreEnv {
  databaseUrl: string | undefined;
  dataDir: string | undefined;
}

/** What SIGTERM does (docs/configuration.md#draining). */
export interface DrainEnv {
  /** DRAIN_TIMEOUT: the longest requests and streams may still run after SIGTERM, in seconds */
  timeoutSeconds: number;
  /** DRAIN_DELAY: how long the port stays open after SIGTERM while readiness says no, in seconds */
  delaySeconds: number;
}

/** Long enough for a long answer of a reasoning model or an agent's tool loop. */
export const DEFAULT_DRAIN_TIMEOUT_S = 600;
export const MAX_DRAIN_TIMEOUT_S = 24 * 3600;
export const MAX_DRAIN_DELAY_S = 300;

/** TLS settings as written (paths may be relative to the config folder; src/tls/ resolves them). */
export type TlsEnv = { httpPort: number | undefined; publicHttpsPort: number } & (
  | { mode: 'file'; certFile: string; keyFile: string }
  | {
      mode: 'acme';
      domains: string[];
      email: string | undefined;
      directoryUrl: string;
      caFile: string | undefined;
      stateDir: string;
    }
);

export const DEFAULT_ACME_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
/** `$scrypt$ln=15,r=8,p=1$SALT$HASH` (base64): what `ai-proxy console hash-password` prints. */
export const PASSWORD_HASH_FORMAT =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,88}={0,2})\$([A-Za-z0-9+/]{43,88}={0,2})$/;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const MIN_AUTH_TOKEN_LENGTH = 32;

/** An .env problem, with the line it was found on when there is one. */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses dotenv text: `KEY=value`, optional `export `, `#` comments, single or double quotes
 * (double quotes understand \n, \t, \" and \\). Throws EnvError naming the line on bad syntax.
 */
export function parseEnv(text: string, fileName = ENV_FILE): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    const key = eq === -1 ? line : line.slice(0, eq).trim();
    if (eq === -1 || !KEY.test(key)) {
      throw new EnvError(`${fileName}:${i + 1}: expected KEY=value, got "${line.slice(0, 40)}"`);
    }
    let value = line.slice(eq + 1).trim();
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      const end = value.indexOf(quote, 1);
      let close = end;
      if (quote === '"') {
        close = -1;
        for (let j = 1; j < value.length; j++) {
          if (value[j] === '\\') j++;
          else if (value[j] === '"') {
            close = j;
            break;
          }
        }
      }
      if (close === -1) throw new EnvError(`${fileName}:${i + 1}: ${key}: missing closing ${quote}`);
      const rest = value.slice(close + 1).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        throw new EnvError(`${fileName}:${i + 1}: ${key}: unexpected text after the closing quote`);
      }
      value = value.slice(1, close);
      if (quote === '"')
        value = value.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
    } else {
      // An unquoted value ends at " #" so inline comments work as in docker compose.
      const hash = value.search(/\s#/);
      if (hash !== -1) value = value.slice(0, hash).trimEnd();
    }
    out[key] = value;
  }
  return out;
}

/** Validates the variables the proxy itself reads. Throws EnvError with one clear line. */
export function validateEnv(record: Record<string, string | undefined>): EnvConfig {
  const portText = record.PORT?.trim() || String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new EnvError(`PORT: "${portText}" is not a port number (use 1-65535)`);
  }
  const authToken = record.AUTH_TOKEN ?? '';
  if (authToken === '') {
    throw new EnvError(
      'AUTH_TOKEN: missing (set a random secret of at least 32 characters in .env, e.g. `openssl rand -hex 32`)',
    );
  }
  if (authToken.length < MIN_AUTH_TOKEN_LENGTH) {
    throw new EnvError(
      `AUTH_TOKEN: too short (${authToken.length} characters, need at least ${MIN_AUTH_TOKEN_LENGTH}; e.g. \`openssl rand -hex 32\`)`,
    );
  }
  if (/\s/.test(authToken)) throw new EnvError('AUTH_TOKEN: must not contain spaces');
  const level = (record.LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new EnvError(`LOG_LEVEL: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const tls = validateTlsEnv(record, port);
  const consoleEnv = validateConsoleEnv(record, port, tls);
  return {
    port,
    authToken,
    logLevel: level as LogLevel,
    ...(tls ? { tls } : {}),
    drain: validateDrainEnv(record),
    store: validateStoreEnv(record),
    ...(consoleEnv ? { console: consoleEnv } : {}),
  };
}

function seconds(record: Record<string, string | undefined>, name: string, fallback: number, max: number): number {
  const text = record[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > max)
    throw new EnvError(`${name}: "${text}" is not a number of seconds from 0 to ${max}`);
  return value;
}

/** DRAIN_TIMEOUT (default 600) and DRAIN_DELAY (default 0), whole seconds. */
export function validateDrainEnv(record: Record<string, string | undefined>): DrainEnv {
  return {
    timeoutSeconds: seconds(record, 'DRAIN_TIMEOUT', DEFAULT_DRAIN_TIMEOUT_S, MAX_DRAIN_TIMEOUT_S),
    delaySeconds: seconds(record, 'DRAIN_DELAY', 0, MAX_DRAIN_DELAY_S),
  };
}

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

/** The store's variables: DATABASE_URL (PostgreSQL, shared by replicas) or DATA_DIR (SQLite file). */
export function validateStoreEnv(record: Record<string, string | undefined>): StoreEnv {
  const databaseUrl = record.DATABASE_URL?.trim() || undefined;
  const dataDir = record.DATA_DIR?.trim() || undefined;
  if (databaseUrl !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(databaseUrl).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:')
      throw new EnvError('DATABASE_URL: expected postgres://USER:PASSWORD@HOST:5432/DATABASE');
  }
  if (dataDir !== undefined && /[\0\n]/.test(dataDir)) throw new EnvError('DATA_DIR: not a usable folder path');
  return { databaseUrl, dataDir };
}

function optionalPort(record: Record<string, string | undefined>, name: string): number | undefined {
  const text = record[name]?.trim();
  if (!text) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535)
    throw new EnvError(`${name}: "${text}" is not a port number (use 1-65535)`);
  return port;
}

/** The HTTPS variables (see docs/configuration.md#https); undefined when TLS is off. */
export function validateTlsEnv(record: Record<string, string | undefined>, port: number): TlsEnv | undefined {
  const get = (name: string) => record[name]?.trim() || undefined;
  const certFile = get('TLS_CERT_FILE');
  const keyFile = get('TLS_KEY_FILE');
  const domainText = get('ACME_DOMAIN');
  const httpPort = optionalPort(record, 'HTTP_PORT');
  const publicHttpsPort = optionalPort(record, 'PUBLIC_HTTPS_PORT') ?? 443;
  if (certFile && domainText)
    throw new EnvError(
      'TLS_CERT_FILE and ACME_DOMAIN: choose one (your own certificate, or an automatic one for ACME_DOMAIN)',
    );
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new EnvError(
      `${certFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'}: missing (TLS_CERT_FILE and TLS_KEY_FILE go together)`,
    );
  }
  if (httpPort !== undefined && httpPort === port)
    throw new EnvError(`HTTP_PORT: must differ from PORT (${port}: HTTPS is served there)`);
  if (certFile && keyFile) return { mode: 'file', certFile, keyFile, httpPort, publicHttpsPort };
  if (domainText) {
    const domains = domainText
      .split(',')
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean);
    const bad = domains.find((d) => !isDnsName(d));
    if (bad !== undefined || domains.length === 0) {
      throw new EnvError(
        `ACME_DOMAIN: "${bad ?? domainText}" is not a DNS name (comma-separated names such as api.example.com; wildcards need DNS-01, which is not supported)`,
      );
    }
    if (httpPort === undefined)
      throw new EnvError(
        'HTTP_PORT: required with ACME_DOMAIN (HTTP-01 challenges are answered on it; publish host port 80 to it)',
      );
    const directoryUrl = get('ACME_DIRECTORY_URL') ?? DEFAULT_ACME_DIRECTORY;
    if (!/^https?:\/\/[^/\s]+/.test(directoryUrl))
      throw new EnvError(`ACME_DIRECTORY_URL: "${directoryUrl}" is not an http(s) URL`);
    const email = get('ACME_EMAIL');
    if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email))
      throw new EnvError(`ACME_EMAIL: "${email}" is not an e-mail address`);
    return {
      mode: 'acme',
      domains: [...new Set(domains)],
      email,
      directoryUrl,
      caFile: get('ACME_CA_FILE'),
      stateDir: get('ACME_STATE_DIR') ?? ACME_STATE_DIR,
      httpPort,
      publicHttpsPort,
    };
  }
  for (const name of ['ACME_EMAIL', 'ACME_DIRECTORY_URL', 'ACME_CA_FILE', 'HTTP_PORT'] as const) {
    if (get(name))
      throw new EnvError(`${name}: set without TLS (add TLS_CERT_FILE/TLS_KEY_FILE or ACME_DOMAIN, or remove ${name})`);
  }
  return undefined;
}
