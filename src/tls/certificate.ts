// Reads and checks a PEM certificate chain and its private key before anything serves them:
// a pair that does not parse, does not match or has expired never reaches the TLS listener.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A certificate chain and key that parsed, match and are within their validity period. */
export interface KeyPair {
  cert: string;
  key: string;
  /** DNS names and IP addresses the leaf certificate covers (subjectAltName, else the CN). */
  names: string[];
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the leaf's DER, colon-separated hex like X509Certificate.fingerprint256. */
  fingerprint: string;
  /** Hash of cert + key text: tells a changed pair from the same files written again. */
  digest: string;
}

export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The names a certificate covers: subjectAltName DNS and IP entries, or the CN when it has none. */
export function certificateNames(x509: X509Certificate): string[] {
  const san = x509.subjectAltName;
  if (san) {
    return san
      .split(/,\s*/)
      .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1]?.trim().toLowerCase())
      .filter((n): n is string => n !== undefined);
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** Validates a PEM pair given as text; `label` names its origin in error messages. */
export function checkKeyPair(
  cert: string,
  key: string,
  label: { cert: string; key: string },
  now = new Date(),
): KeyPair {
  const blocks = cert.match(PEM_CERT);
  if (!blocks)
    throw new CertificateError(`${label.cert}: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----")`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]);
    for (const extra of blocks.slice(1)) new X509Certificate(extra);
  } catch (error) {
    throw new CertificateError(`${label.cert}: not a valid PEM certificate (${(error as Error).message})`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    const hint = /ENCRYPTED/.test(key)
      ? 'encrypted keys are not supported: decrypt it with `openssl pkey`'
      : (error as Error).message;
    throw new CertificateError(`${label.key}: not a valid PEM private key (${hint})`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new CertificateError(
      `${label.key}: does not match the certificate in ${label.cert} (the first certificate must be the one for this key)`,
    );
  }
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new CertificateError(
      `${label.cert}: expired on ${notAfter.toISOString()} (renew it, then send SIGHUP or restart)`,
    );
  }
  if (notBefore.getTime() > now.getTime() + 5 * 60_000) {
    throw new CertificateError(
      `${label.cert}: not valid before ${notBefore.toISOString()} (check the clock of this machine)`,
    );
  }
  return {
    cert,
    key,
    names: certificateNames(leaf),
    notBefore,
    notAfter,
    fingerprint: leaf.fingerprint256,
    digest: createHash('sha256').update(cert).update('\0').update(key).digest('hex'),
  };
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? 'not found'
        : code === 'EACCES'
          ? 'permission denied: the proxy runs as uid 1001, make it readable by that group'
          : (code ?? String(error));
    throw new CertificateError(`${path}: cannot read the ${what} (${hint})`);
  }
}

/** Reads and validates a certificate file and key file. Throws CertificateError with one line. */
export function readKeyPair(certFile: string, keyFile: string, now = new Date()): KeyPair {
  return checkKeyPair(
    readPem(certFile, 'certificate'),
    readPem(keyFile, 'private key'),
    { cert: certFile, key: keyFile },
    now,
  );
}
