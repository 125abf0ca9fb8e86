// Reads and checks a PEM certificate chain and its private key before anything serves them:
// a pair that does not parse, does not match or has expired never reaches the TLS listener.
// The installer runs the same checks on an operator's files before it installs them; each side
// words the problem for its own reader (CertificateError.problem), the checks are these.
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certificateNames } from '../contract/names.ts';
import { certificateBlocks, hasPrivateKeyBlock } from '../contract/pem.ts';

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

/** What is wrong with a pair, in facts: the proxy and the installer each turn it into their own sentence. */
export type CertificateProblem =
  | { kind: 'unreadable'; path: string; what: string; code: string | undefined; reason: string }
  | { kind: 'no-certificate' }
  | { kind: 'certificate-invalid'; index: number; reason: string }
  | { kind: 'no-private-key' }
  | { kind: 'private-key-invalid'; encrypted: boolean; reason: string }
  | { kind: 'mismatch' }
  | { kind: 'expired'; notAfter: Date }
  | { kind: 'not-yet-valid'; notBefore: Date };

export class CertificateError extends Error {
  constructor(
    message: string,
    readonly problem?: CertificateProblem,
  ) {
    super(message);
    this.name = 'CertificateError';
  }
}

export interface CheckOptions {
  /** How far in the future a certificate's start may be (clock skew between its issuer and us). */
  notBeforeSlackMs?: number;
}

/** The proxy's one-line wording of a problem; `label` names the files. */
function describe(problem: CertificateProblem, label: { cert: string; key: string }): string {
  switch (problem.kind) {
    case 'unreadable': {
      const hint =
        problem.code === 'ENOENT'
          ? 'not found'
          : problem.code === 'EACCES'
            ? 'permission denied: the proxy runs as uid 1001, make it readable by that group'
            : (problem.code ?? problem.reason);
      return `${problem.path}: cannot read the ${problem.what} (${hint})`;
    }
    case 'no-certificate':
      return `${label.cert}: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----")`;
    case 'certificate-invalid':
      return `${label.cert}: not a valid PEM certificate (${problem.reason})`;
    case 'no-private-key':
      return `${label.key}: not a valid PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)`;
    case 'private-key-invalid':
      return `${label.key}: not a valid PEM private key (${problem.encrypted ? 'encrypted keys are not supported: decrypt it with `openssl pkey`' : problem.reason})`;
    case 'mismatch':
      return `${label.key}: does not match the certificate in ${label.cert} (the first certificate must be the one for this key)`;
    case 'expired':
      return `${label.cert}: expired on ${problem.notAfter.toISOString()} (renew it, then send SIGHUP or restart)`;
    case 'not-yet-valid':
      return `${label.cert}: not valid before ${problem.notBefore.toISOString()} (check the clock of this machine)`;
  }
}

function fail(problem: CertificateProblem, label: { cert: string; key: string }): never {
  throw new CertificateError(describe(problem, label), problem);
}

/** Every certificate of a PEM bundle, leaf first; each must parse. `label` names the file. */
export function parseCertificateChain(pem: string, label: string): X509Certificate[] {
  const blocks = certificateBlocks(pem);
  if (blocks.length === 0) fail({ kind: 'no-certificate' }, { cert: label, key: label });
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      return fail(
        { kind: 'certificate-invalid', index, reason: (error as Error).message },
        { cert: label, key: label },
      );
    }
  });
}

/** Validates a PEM pair given as text; `label` names its origin in error messages. */
export function checkKeyPair(
  cert: string,
  key: string,
  label: { cert: string; key: string },
  now = new Date(),
  options: CheckOptions = {},
): KeyPair {
  const leaf = parseCertificateChain(cert, label.cert)[0] as X509Certificate;
  if (!hasPrivateKeyBlock(key)) fail({ kind: 'no-private-key' }, label);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    const reason = (error as Error).message;
    fail(
      { kind: 'private-key-invalid', encrypted: /ENCRYPTED/.test(key) || /passphrase/i.test(reason), reason },
      label,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) fail({ kind: 'mismatch' }, label);
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) fail({ kind: 'expired', notAfter }, label);
  if (notBefore.getTime() > now.getTime() + (options.notBeforeSlackMs ?? 5 * 60_000))
    fail({ kind: 'not-yet-valid', notBefore }, label);
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

/** Reads a PEM file's bytes; throws CertificateError (kind "unreadable") naming `what` it was. */
export function readPemFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const problem: CertificateProblem = {
      kind: 'unreadable',
      path,
      what,
      code: (error as NodeJS.ErrnoException).code,
      reason: (error as Error).message,
    };
    throw new CertificateError(describe(problem, { cert: path, key: path }), problem);
  }
}

/** Reads and validates a certificate file and key file. Throws CertificateError with one line. */
export function readKeyPair(certFile: string, keyFile: string, now = new Date()): KeyPair {
  return checkKeyPair(
    readPemFile(certFile, 'certificate').toString('utf8'),
    readPemFile(keyFile, 'private key').toString('utf8'),
    { cert: certFile, key: keyFile },
    now,
  );
}
