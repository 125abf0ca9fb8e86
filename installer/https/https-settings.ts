// HTTPS on the host side (issue #9): the operator's certificate and key are checked before
// anything changes (exit 11 with the reason), and the TLS settings become .env lines, files in
// the config folder and container ports. Pure apart from reading the given files.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getEnvValue, setEnvValue } from '../config/env-editor.ts';

/** Inside the container: HTTPS on PORT, plain HTTP (ACME challenges, redirect) on HTTP_PORT. */
export const CONTAINER_HTTPS_PORT = 8443;
export const CONTAINER_HTTP_PORT = 8080;
export const DEFAULT_HTTPS_PORT = 443;
export const ACME_HOST_HTTP_PORT = 80;
export const TLS_DIR = 'tls';
export const ACME_DIR = 'acme';
export const ACME_MOUNT = '/app/acme';
/** Where the config folder's tls/ appears in the container (the read-only config mount). */
export const CONTAINER_TLS_DIR = '/app/config/tls';
export const TLS_ENV_KEYS = [
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

/** A certificate or key the operator must replace (exit 11), with the reason. */
export class TlsInvalid extends Error {}

export interface CertInfo {
  names: string[];
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint256: string;
}

export interface CheckedPair extends CertInfo {
  cert: Buffer;
  key: Buffer;
}

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a folder'
            : (error as Error).message;
    throw new TlsInvalid(`cannot read the ${what} ${path}: ${why}`);
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle, leaf first; refuses anything that is not PEM. */
export function parseCertificates(pem: Buffer, path: string): X509Certificate[] {
  const blocks = pem.toString('utf8').match(PEM_CERT) ?? [];
  if (blocks.length === 0)
    throw new TlsInvalid(`${path} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new TlsInvalid(`${path}: certificate ${index + 1} does not parse: ${(error as Error).message}`);
    }
  });
}

/** DNS names and IP addresses of subjectAltName (the subject's CN only when there is none). */
export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san) {
    return san
      .split(/,\s*/)
      .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1]?.trim())
      .filter((name): name is string => Boolean(name));
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn] : [];
}

export function certInfo(cert: X509Certificate): CertInfo {
  return {
    names: certificateNames(cert),
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprint256: cert.fingerprint256,
  };
}

/** The operator's pair: PEM parses, the key matches the leaf, the leaf is valid now. */
export function checkCertificatePair(certPath: string, keyPath: string, now = new Date()): CheckedPair {
  const cert = readInput(certPath, 'certificate');
  const key = readInput(keyPath, 'private key');
  const [leaf] = parseCertificates(cert, certPath);
  if (!leaf) throw new TlsInvalid(`${certPath} holds no certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('utf8'))) {
    throw new TlsInvalid(`${keyPath} is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (error) {
    throw new TlsInvalid(
      `${keyPath}: the private key does not parse${/passphrase/i.test((error as Error).message) ? ' (it is encrypted: give an unencrypted key)' : `: ${(error as Error).message}`}`,
    );
  }
  if (!leaf.checkPrivateKey(keyObject))
    throw new TlsInvalid(`${keyPath} is not the private key of the certificate ${certPath} (the key does not match)`);
  const info = certInfo(leaf);
  if (info.notAfter.getTime() <= now.getTime())
    throw new TlsInvalid(`the certificate ${certPath} expired on ${info.notAfter.toISOString()}`);
  if (info.notBefore.getTime() > now.getTime())
    throw new TlsInvalid(
      `the certificate ${certPath} is not valid before ${info.notBefore.toISOString()} (check the clock, or wait)`,
    );
  if (info.names.length === 0)
    throw new TlsInvalid(`the certificate ${certPath} names no host (no subjectAltName and no CN)`);
  return { ...info, cert, key };
}

/** A CA bundle for --acme-ca: readable PEM certificates. */
export function checkCaBundle(path: string): Buffer {
  const bytes = readInput(path, 'ACME CA bundle');
  parseCertificates(bytes, path);
  return bytes;
}

/** True when `name` (a DNS name) is covered by one of the certificate's names (one wildcard label). */
export function covers(names: string[], name: string): boolean {
  const wanted = name.toLowerCase();
  return names.some((entry) => {
    const n = entry.toLowerCase();
    if (n === wanted) return true;
    if (!n.startsWith('*.')) return false;
    const dot = wanted.indexOf('.');
    return dot > 0 && wanted.slice(dot + 1) === n.slice(2);
  });
}

export function daysLeft(notAfter: Date, now = new Date()): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
}

/** One line for the plan and the log: names, expiry, days left. */
export function describeCert(info: CertInfo, now = new Date()): string {
  return `${info.names.join(', ')}; valid until ${info.notAfter.toISOString()} (${daysLeft(info.notAfter, now)} days)`;
}

/** Removes KEY's assignments (and only those lines) from .env text. */
export function removeEnvValue(text: string, key: string): string {
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const pattern = new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=`);
  return text
    .split(newline)
    .filter((line) => !pattern.test(line))
    .join(newline);
}

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
    wanted.set('ACME_STATE_DIR', ACME_MOUNT);
    wanted.set('HTTP_PORT', String(CONTAINER_HTTP_PORT));
    if (settings.publicHttpsPort !== DEFAULT_HTTPS_PORT)
      wanted.set('PUBLIC_HTTPS_PORT', String(settings.publicHttpsPort));
  }
  for (const key of TLS_ENV_KEYS) {
    const value = wanted.get(key);
    if (value !== undefined) env = setTlsValue(env, key, value);
    else if (getEnvValue(env, key) !== undefined) env = removeEnvValue(env, key);
  }
  return setEnvValue(env, 'PORT', String(settings.mode === 'off' ? hostPort : CONTAINER_HTTPS_PORT));
}

/** setEnvValue with the operator's mistake (a space or quote in a flag) reported as exit 11. */
function setTlsValue(text: string, key: string, value: string): string {
  if (!/^[A-Za-z0-9_.:\/@,+-]*$/.test(value))
    throw new TlsInvalid(`${key}: "${value}" has characters that cannot go into .env unquoted`);
  return setEnvValue(text, key, value);
}

/** What the installed .env says about TLS (for a re-run without TLS flags: keep it). */
export function installedTls(envText: string | undefined): TlsSettings {
  if (!envText) return { mode: 'off' };
  if (getEnvValue(envText, 'TLS_CERT_FILE')) return { mode: 'file' };
  const domains = getEnvValue(envText, 'ACME_DOMAIN');
  if (!domains) return { mode: 'off' };
  const email = getEnvValue(envText, 'ACME_EMAIL');
  const directoryUrl = getEnvValue(envText, 'ACME_DIRECTORY_URL');
  const publicPort = Number(getEnvValue(envText, 'PUBLIC_HTTPS_PORT') ?? DEFAULT_HTTPS_PORT);
  return {
    mode: 'acme',
    domains: domains
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean),
    ...(email ? { email } : {}),
    ...(directoryUrl ? { directoryUrl } : {}),
    ca: Boolean(getEnvValue(envText, 'ACME_CA_FILE')),
    publicHttpsPort: Number.isInteger(publicPort) ? publicPort : DEFAULT_HTTPS_PORT,
  };
}

/** --tls-cert/--tls-key | --domain [--acme-*] | --no-tls, as given (files are checked in the plan step). */
export interface TlsOptions {
  cert?: string;
  key?: string;
  domains?: string[];
  acmeEmail?: string;
  acmeDirectory?: string;
  acmeCa?: string;
  off: boolean;
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

type Lookup = (flag: string) => { value: string | undefined; source: string };

/** Returns undefined when no TLS flag was given; throws a usage message (exit 2) otherwise. */
export function parseTlsOptions(
  str: Lookup,
  noTls: boolean,
  usage: (message: string, hint: string) => Error,
): TlsOptions | undefined {
  const cert = str('tls-cert');
  const key = str('tls-key');
  const domain = str('domain');
  const email = str('acme-email');
  const directory = str('acme-directory');
  const ca = str('acme-ca');
  const any = [cert, key, domain, email, directory, ca].some((entry) => entry.value !== undefined);
  if (!any && !noTls) return undefined;
  if (noTls) {
    if (any)
      throw usage(
        '--no-tls cannot be combined with --tls-cert, --tls-key, --domain or --acme-*',
        'choose plain HTTP (--no-tls) or one TLS mode',
      );
    return { off: true };
  }
  if ((cert.value === undefined) !== (key.value === undefined)) {
    throw usage(
      `${cert.value === undefined ? '--tls-key' : '--tls-cert'} needs ${cert.value === undefined ? '--tls-cert' : '--tls-key'}`,
      'give both: --tls-cert FILE --tls-key FILE',
    );
  }
  if (cert.value !== undefined && domain.value !== undefined)
    throw usage(
      '--tls-cert and --domain: choose one',
      'your own certificate (--tls-cert/--tls-key) or an automatic one (--domain)',
    );
  if (domain.value === undefined) {
    const stray = [email, directory, ca].find((entry) => entry.value !== undefined);
    if (stray) throw usage(`${stray.source} only applies with --domain`, 'add --domain NAME, or drop it');
    return { cert: cert.value, key: key.value, off: false };
  }
  const domains = [
    ...new Set(
      domain.value
        .split(',')
        .map((d) => d.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  const bad = domains.find((d) => !DNS_NAME.test(d));
  if (bad !== undefined || domains.length === 0)
    throw usage(
      `invalid name from ${domain.source}: "${bad ?? domain.value}" is not a DNS name`,
      'give names such as api.example.com, comma-separated (no wildcards: HTTP-01 cannot prove them)',
    );
  if (email.value !== undefined && !/^[^@\s,]+@[^@\s,]+$/.test(email.value))
    throw usage(`invalid e-mail from ${email.source}: "${email.value}"`, 'give an address such as ops@example.com');
  if (directory.value !== undefined && !/^https?:\/\/[^/\s]+[^\s]*$/.test(directory.value))
    throw usage(
      `invalid ACME directory from ${directory.source}: "${directory.value}"`,
      'give the directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory',
    );
  return {
    domains,
    ...(email.value !== undefined ? { acmeEmail: email.value } : {}),
    ...(directory.value !== undefined ? { acmeDirectory: directory.value } : {}),
    ...(ca.value !== undefined ? { acmeCa: ca.value } : {}),
    off: false,
  };
}
