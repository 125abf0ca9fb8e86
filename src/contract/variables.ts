// The variables of .env (or the environment, or secret files) whose meaning both sides share:
// the default port, the HTTPS settings, and which values are secrets.

/** PORT when .env does not set it: the proxy listens there and the installer publishes it by default. */
export const DEFAULT_PORT = 8080;

/** The HTTPS settings (docs/configuration.md#https): the installer writes them, the proxy reads them. */
export const TLS_VARIABLES = [
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
  'ACME_DOMAIN',
  'ACME_EMAIL',
  'ACME_DIRECTORY_URL',
  'ACME_CA_FILE',
  'ACME_STATE_DIR',
  'HTTP_PORT',
  'PUBLIC_HTTPS_PORT',
] as const;

/**
 * The web console's settings that hold no secret (docs/console.md): the installer publishes
 * CONSOLE_PORT on the host's loopback, the proxy listens there. CONSOLE_PASSWORD_HASH is a secret.
 */
export const CONSOLE_VARIABLES = ['CONSOLE_PORT', 'CONSOLE_HOST', 'CONSOLE_ON_PUBLIC_PORT'] as const;

/** CONSOLE_HOST when .env does not set it: the console answers on loopback only. */
export const DEFAULT_CONSOLE_HOST = '127.0.0.1';

/**
 * Variables whose values are not secrets: `ai-proxy config` shows them as they are and a Swarm
 * service carries them as plain environment (the drain limits must be plain: the service's stop
 * grace period is computed from them). Every other variable is a secret (AUTH_TOKEN and the
 * provider keys, whatever their names): redacted, or a Docker secret.
 */
const PLAIN_VARIABLES: ReadonlySet<string> = new Set([
  'PORT',
  'LOG_LEVEL',
  'DATA_DIR',
  'DRAIN_TIMEOUT',
  'DRAIN_DELAY',
  ...TLS_VARIABLES,
  ...CONSOLE_VARIABLES,
]);

export function isSecret(variable: string): boolean {
  return !PLAIN_VARIABLES.has(variable);
}

/** The drain limit the proxy reads again at SIGTERM; the installer writes it for --drain-timeout. */
export const DRAIN_TIMEOUT_VAR = 'DRAIN_TIMEOUT';
