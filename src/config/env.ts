// The .env file and the environment: a tiny parser and validator with no dependencies, because
// `ai-proxy healthcheck` reads PORT from it every few seconds and must start fast. The installer
// reads an installed .env with this parser too, so both read every value alike.
import { ACME_STATE_DIR, ENV_FILE } from '../contract/container.ts';
import { isDnsName } from '../contract/names.ts';
import { DEFAULT_PORT } from '../contract/variables.ts';
import { type ConsoleEnv, validateConsoleEnv } from './console-env.ts';
import { type DrainEnv, validateDrainEnv } from './drain-env.ts';
import { EnvError, optionalPort } from './env-values.ts';
import { type StoreEnv, validateStoreEnv } from './store-env.ts';

export { EnvError } from './env-values.ts';

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
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const MIN_AUTH_TOKEN_LENGTH = 32;

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
