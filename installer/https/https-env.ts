// HTTPS as .env lines: the settings a run installs become exactly the TLS variables the proxy
// reads (src/contract/variables.ts), and an installed .env is read back with the proxy's own
// parser, so a re-run keeps what the proxy really sees.
import { parseEnv } from '../../src/config/env.ts';
import { ACME_STATE_DIR, CONFIG_DIR } from '../../src/contract/container.ts';
import { TLS_VARIABLES } from '../../src/contract/variables.ts';
import { removeEnvValue, setEnvValue } from '../config-files/env-editor.ts';
import { TlsInvalid } from './operator-certificate.ts';

/** Inside the container: HTTPS on PORT, plain HTTP (ACME challenges, redirect) on HTTP_PORT. */
export const CONTAINER_HTTPS_PORT = 8443;
export const CONTAINER_HTTP_PORT = 8080;
export const DEFAULT_HTTPS_PORT = 443;
export const ACME_HOST_HTTP_PORT = 80;
/** Folders of the host's config folder: certificate files (mounted with it) and ACME's state. */
export const TLS_DIR = 'tls';
export const ACME_DIR = 'acme';
/** Where the config folder's tls/ appears in the container (the read-only config mount). */
const CONTAINER_TLS_DIR = `${CONFIG_DIR}/${TLS_DIR}`;

export type TlsSettings =
  | { mode: 'off' }
  | { mode: 'file' }
  | { mode: 'acme'; domains: string[]; email?: string; directoryUrl?: string; ca: boolean; publicHttpsPort: number };

/** The .env text with exactly the TLS variables `settings` needs (the rest of the file kept). */
export function applyTlsEnv(text: string, settings: TlsSettings, hostPort: number): string {
  let env = text;
  const wanted = new Map<string, string>();
  if (settings.mode === 'file') {
    wanted.set('TLS_CERT_FILE', `${CONTAINER_TLS_DIR}/cert.pem`);
    wanted.set('TLS_KEY_FILE', `${CONTAINER_TLS_DIR}/key.pem`);
  } else if (settings.mode === 'acme') {
    wanted.set('ACME_DOMAIN', settings.domains.join(','));
    if (settings.email) wanted.set('ACME_EMAIL', settings.email);
    if (settings.directoryUrl) wanted.set('ACME_DIRECTORY_URL', settings.directoryUrl);
    if (settings.ca) wanted.set('ACME_CA_FILE', `${CONTAINER_TLS_DIR}/acme-ca.pem`);
    wanted.set('ACME_STATE_DIR', ACME_STATE_DIR);
    wanted.set('HTTP_PORT', String(CONTAINER_HTTP_PORT));
    if (settings.publicHttpsPort !== DEFAULT_HTTPS_PORT)
      wanted.set('PUBLIC_HTTPS_PORT', String(settings.publicHttpsPort));
  }
  for (const key of TLS_VARIABLES) {
    const value = wanted.get(key);
    env = value === undefined ? removeEnvValue(env, key) : setTlsValue(env, key, value);
  }
  return setEnvValue(env, 'PORT', String(settings.mode === 'off' ? hostPort : CONTAINER_HTTPS_PORT));
}

/** setEnvValue with the operator's mistake (a space or quote in a flag) reported as exit 11. */
function setTlsValue(text: string, key: string, value: string): string {
  if (!/^[A-Za-z0-9_.:\/@,+-]*$/.test(value))
    throw new TlsInvalid(`${key}: "${value}" has characters that cannot go into .env unquoted`);
  return setEnvValue(text, key, value);
}

/**
 * What the installed .env says about TLS (for a re-run without TLS flags: keep it). A file the
 * proxy's parser refuses counts as no HTTPS here; the plan step reports it (exit 11).
 */
export function installedTls(envText: string | undefined): TlsSettings {
  let vars: Record<string, string>;
  try {
    vars = envText ? parseEnv(envText) : {};
  } catch {
    return { mode: 'off' };
  }
  if (vars.TLS_CERT_FILE) return { mode: 'file' };
  const domains = vars.ACME_DOMAIN;
  if (!domains) return { mode: 'off' };
  const publicPort = Number(vars.PUBLIC_HTTPS_PORT ?? DEFAULT_HTTPS_PORT);
  return {
    mode: 'acme',
    domains: domains
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean),
    ...(vars.ACME_EMAIL ? { email: vars.ACME_EMAIL } : {}),
    ...(vars.ACME_DIRECTORY_URL ? { directoryUrl: vars.ACME_DIRECTORY_URL } : {}),
    ca: Boolean(vars.ACME_CA_FILE),
    publicHttpsPort: Number.isInteger(publicPort) ? publicPort : DEFAULT_HTTPS_PORT,
  };
}
