// The operator's certificate and key (--tls-cert/--tls-key) and an ACME CA bundle, checked
// before anything changes with the proxy's own checks (src/tls/certificate.ts), so the
// installer never installs a pair the proxy would refuse. Only the wording is the installer's:
// it names the flag's file and says what to do (exit 11).
import {
  CertificateError,
  checkKeyPair,
  parseCertificateChain,
  readPemFile,
  type CertificateProblem,
} from '../../src/tls/certificate.ts';

/** A certificate or key the operator must replace (exit 11), with the reason. */
export class TlsInvalid extends Error {}

/** What the plan, the summary and the health check need to know of a certificate. */
export interface CertInfo {
  names: string[];
  notBefore: Date;
  notAfter: Date;
}

export interface CheckedPair extends CertInfo {
  cert: Buffer;
  key: Buffer;
}

/** Why a file could not be read, by its error code, in the operator's words. */
const UNREADABLE: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a folder',
};

function wording(problem: CertificateProblem, certPath: string, keyPath: string): string {
  switch (problem.kind) {
    case 'unreadable':
      return `cannot read the ${problem.what} ${problem.path}: ${UNREADABLE[problem.code ?? ''] ?? problem.reason}`;
    case 'no-certificate':
      return `${certPath} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`;
    case 'certificate-invalid':
      return `${certPath}: certificate ${problem.index + 1} does not parse: ${problem.reason}`;
    case 'no-private-key':
      return `${keyPath} is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)`;
    case 'private-key-invalid':
      return `${keyPath}: the private key does not parse${problem.encrypted ? ' (it is encrypted: give an unencrypted key)' : `: ${problem.reason}`}`;
    case 'mismatch':
      return `${keyPath} is not the private key of the certificate ${certPath} (the key does not match)`;
    case 'expired':
      return `the certificate ${certPath} expired on ${problem.notAfter.toISOString()}`;
    case 'not-yet-valid':
      return `the certificate ${certPath} is not valid before ${problem.notBefore.toISOString()} (check the clock, or wait)`;
  }
}

/** Runs `check`, turning the proxy's CertificateError into the installer's TlsInvalid. */
function reworded<T>(certPath: string, keyPath: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof CertificateError && error.problem)
      throw new TlsInvalid(wording(error.problem, certPath, keyPath));
    throw error;
  }
}

/** The operator's pair: PEM parses, the key matches the leaf, the leaf is valid now and names a host. */
export function checkCertificatePair(certPath: string, keyPath: string, now = new Date()): CheckedPair {
  return reworded(certPath, keyPath, () => {
    const cert = readPemFile(certPath, 'certificate');
    const key = readPemFile(keyPath, 'private key');
    // No grace for a start in the future: the installer runs on the host that will serve it.
    const pair = checkKeyPair(cert.toString('utf8'), key.toString('utf8'), { cert: certPath, key: keyPath }, now, {
      notBeforeSlackMs: 0,
    });
    if (pair.names.length === 0)
      throw new TlsInvalid(`the certificate ${certPath} names no host (no subjectAltName and no CN)`);
    return { names: pair.names, notBefore: pair.notBefore, notAfter: pair.notAfter, cert, key };
  });
}

/** A CA bundle for --acme-ca: readable PEM certificates, each of which parses. */
export function checkCaBundle(path: string): Buffer {
  return reworded(path, path, () => {
    const bytes = readPemFile(path, 'ACME CA bundle');
    parseCertificateChain(bytes.toString('utf8'), path);
    return bytes;
  });
}

function daysLeft(notAfter: Date, now = new Date()): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
}

/** One line for the plan and the log: names, expiry, days left. */
export function describeCert(info: CertInfo, now = new Date()): string {
  return `${info.names.join(', ')}; valid until ${info.notAfter.toISOString()} (${daysLeft(info.notAfter, now)} days)`;
}
