// The HTTPS part of the plan: which mode this run installs (flags, else what the installed
// .env says), the operator's files checked before anything changes (exit 11), and the .env,
// files, container ports and hash that follow from it. configure.ts writes what this decides.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { Options } from '../command/args.ts';
import { validateEnvText, type ConfigChange } from '../config-files/config-change.ts';
import { installedEnvText } from '../config-files/installed.ts';
import { checkCaBundle, checkCertificatePair, TlsInvalid, type CertInfo } from './operator-certificate.ts';
import {
  ACME_DIR,
  ACME_HOST_HTTP_PORT,
  applyTlsEnv,
  CONTAINER_HTTP_PORT,
  CONTAINER_HTTPS_PORT,
  installedTls,
  TLS_DIR,
  type TlsSettings,
} from './https-env.ts';

export interface TlsFile {
  /** Relative to the config folder, e.g. tls/cert.pem. */
  name: string;
  next: Buffer;
  current?: Buffer;
  mode: number;
}

export interface HttpsSetup {
  settings: TlsSettings;
  /** The operator's certificate (file mode). */
  cert?: CertInfo;
  files: TlsFile[];
  /** Ports inside the container; host 80 -> httpPort only in ACME mode. */
  containerPort: number;
  httpPort?: { host: number; container: number };
  /** The read-write ACME state folder on the host (ACME mode). */
  acmeDir?: string;
}

function readCurrent(path: string): Buffer | undefined {
  try {
    if (!lstatSync(path).isFile()) throw new TlsInvalid(`${path} is not a regular file`);
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** What the installed .env says about TLS, read once per step. */
export function installedTlsIn(configDir: string): TlsSettings {
  return installedTls(installedEnvText(configDir));
}

/** The mode this run installs: the flags, else the installed one (a plain re-run keeps HTTPS). */
export function chosenTls(options: Options, installed: TlsSettings, hostPort?: number): TlsSettings {
  const flags = options.tls;
  if (flags?.off) return { mode: 'off' };
  if (flags?.cert) return { mode: 'file' };
  if (flags?.domains) {
    return {
      mode: 'acme',
      domains: flags.domains,
      ...(flags.acmeEmail ? { email: flags.acmeEmail } : {}),
      ...(flags.acmeDirectory ? { directoryUrl: flags.acmeDirectory } : {}),
      ca: Boolean(flags.acmeCa),
      publicHttpsPort: hostPort ?? 443,
    };
  }
  return installed.mode === 'acme' && hostPort !== undefined ? { ...installed, publicHttpsPort: hostPort } : installed;
}

function invalid(error: unknown): never {
  if (error instanceof TlsInvalid)
    throw new InstallError(
      EXIT.configFailed,
      error.message,
      'give a valid certificate and its key (PEM, unencrypted, currently valid); nothing was changed',
    );
  throw error;
}

/** Checks the inputs and computes files and ports; reads only. */
export function httpsSetup(options: Options, configDir: string, hostPort: number, now = new Date()): HttpsSetup {
  const settings = chosenTls(options, installedTlsIn(configDir), hostPort);
  const tlsDir = join(configDir, TLS_DIR);
  const files: TlsFile[] = [];
  const setup: HttpsSetup = {
    settings,
    files,
    containerPort: settings.mode === 'off' ? hostPort : CONTAINER_HTTPS_PORT,
  };
  try {
    if (settings.mode === 'file') {
      // A re-run without the flags re-checks the installed copy (it may have expired since).
      const certPath = options.tls?.cert ?? join(tlsDir, 'cert.pem');
      const keyPath = options.tls?.key ?? join(tlsDir, 'key.pem');
      const pair = checkCertificatePair(certPath, keyPath, now);
      const { cert, key, ...info } = pair;
      setup.cert = info;
      files.push({
        name: `${TLS_DIR}/cert.pem`,
        next: cert,
        current: readCurrent(join(tlsDir, 'cert.pem')),
        mode: 0o640,
      });
      files.push({ name: `${TLS_DIR}/key.pem`, next: key, current: readCurrent(join(tlsDir, 'key.pem')), mode: 0o640 });
    }
    if (settings.mode === 'acme') {
      setup.httpPort = { host: ACME_HOST_HTTP_PORT, container: CONTAINER_HTTP_PORT };
      setup.acmeDir = join(configDir, ACME_DIR);
      if (settings.ca) {
        const caPath = options.tls?.acmeCa ?? join(tlsDir, 'acme-ca.pem');
        files.push({
          name: `${TLS_DIR}/acme-ca.pem`,
          next: checkCaBundle(caPath),
          current: readCurrent(join(tlsDir, 'acme-ca.pem')),
          mode: 0o644,
        });
      }
    }
  } catch (error) {
    invalid(error);
  }
  return setup;
}

/** The configuration change with the TLS lines in .env and the certificate files in its hash. */
export function withHttps(config: ConfigChange, https: HttpsSetup, hostPort: number, envPath: string): ConfigChange {
  const env = applyTlsEnv(config.next.env, https.settings, hostPort);
  try {
    validateEnvText(env, envPath);
  } catch (error) {
    throw new InstallError(
      EXIT.configFailed,
      (error as Error).message,
      'fix the TLS flags or the .env, then run the installer again; nothing was changed',
    );
  }
  const hash = createHash('sha256').update(env).update('\0').update(config.next.provider);
  for (const file of https.files) hash.update('\0').update(file.name).update('\0').update(file.next);
  return { ...config, next: { ...config.next, env }, configHash: hash.digest('hex') };
}

/** The `tls` object of --json: mode, names, expiry of your certificate, host ports. */
export function tlsSummary(tls: HttpsSetup, hostPort: number): Record<string, unknown> {
  const s = tls.settings;
  if (s.mode === 'off') return { mode: 'off', ports: { http: hostPort } };
  return {
    mode: s.mode,
    names: s.mode === 'acme' ? s.domains : (tls.cert?.names ?? []),
    ...(tls.cert ? { not_after: tls.cert.notAfter.toISOString() } : {}),
    ports: { https: hostPort, ...(tls.httpPort ? { http: tls.httpPort.host } : {}) },
  };
}
