// The .env file and the environment: a tiny parser and validator with no dependencies, because
// `ai-proxy healthcheck` reads PORT from it every few seconds and must start fast.

export interface EnvConfig {
  port: number;
  authToken: string;
  logLevel: LogLevel;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const MIN_AUTH_TOKEN_LENGTH = 32;
export const DEFAULT_PORT = 8080;

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
export function parseEnv(text: string, fileName = '.env'): Record<string, string> {
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
      if (quote === '"') value = value.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
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
    throw new EnvError('AUTH_TOKEN: missing (set a random secret of at least 32 characters in .env, e.g. `openssl rand -hex 32`)');
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
  return { port, authToken, logLevel: level as LogLevel };
}

/** The file's variables with the real environment on top (the environment wins). */
export function mergeEnv(fileVars: Record<string, string>, env: Record<string, string | undefined>): Record<string, string> {
  const merged: Record<string, string> = { ...fileVars };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return merged;
}
