// Certificates for the TLS tests, made with the real openssl in a temp folder: a test CA and
// leaf certificates signed by it (any names, any validity window, expired ones included).
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';

export interface TestCa {
  dir: string;
  certFile: string;
  keyFile: string;
  pem: string;
}

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

export function makeCa(dir = mkdtempSync(join(tmpdir(), 'aip-tls-ca-'))): TestCa {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '30',
      '-subj',
      '/CN=aip-tls test CA',
    ],
    dir,
  );
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\nserial = ${dir}/serial\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n[p]\ncommonName = supplied\n`,
  );
  return {
    dir,
    certFile: join(dir, 'ca.pem'),
    keyFile: join(dir, 'ca.key'),
    pem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
  };
}

export interface LeafOptions {
  names?: string[];
  /** openssl times, YYYYMMDDHHMMSSZ; default: from an hour ago for 10 days. */
  start?: string;
  end?: string;
}

const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';

/** Writes `<name>.pem` (leaf + CA chain) and `<name>.key` in the CA's folder; returns both paths. */
export function makeLeaf(
  ca: TestCa,
  name: string,
  o: LeafOptions = {},
): { certFile: string; keyFile: string; fingerprint: string } {
  const names = o.names ?? ['localhost', '127.0.0.1'];
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const now = Date.now();
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${san}`,
    ],
    ca.dir,
  );
  openssl(
    [
      'ca',
      '-batch',
      '-notext',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.pem',
      '-keyfile',
      'ca.key',
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.leaf`,
      '-startdate',
      o.start ?? stamp(new Date(now - 3600_000)),
      '-enddate',
      o.end ?? stamp(new Date(now + 10 * 86_400_000)),
    ],
    ca.dir,
  );
  const leaf = readFileSync(join(ca.dir, `${name}.leaf`), 'utf8');
  writeFileSync(join(ca.dir, `${name}.pem`), leaf + ca.pem);
  return {
    certFile: join(ca.dir, `${name}.pem`),
    keyFile: join(ca.dir, `${name}.key`),
    fingerprint: new X509Certificate(leaf).fingerprint256,
  };
}

export const pastStamp = (daysAgo: number) => stamp(new Date(Date.now() - daysAgo * 86_400_000));

/** Opens a fresh TLS connection and returns the fingerprint of the certificate presented. */
export function servedFingerprint(
  port: number,
  ca: string,
  servername = 'localhost',
): Promise<{ fingerprint: string; protocol: string | null; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      const result = {
        fingerprint: socket.getPeerX509Certificate()!.fingerprint256,
        protocol: socket.getProtocol(),
        alpn: socket.alpnProtocol,
      };
      socket.end();
      resolve(result);
    });
    socket.once('error', reject);
  });
}
