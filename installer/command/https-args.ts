// The HTTPS flags (--tls-cert/--tls-key, --domain and --acme-*, --no-tls) and their
// combinations, checked before anything touches the host (exit 2). The files they name are
// checked later, by the plan (https/operator-certificate.ts, exit 11).
import { isDnsName } from '../../src/contract/names.ts';
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
  const bad = domains.find((d) => !isDnsName(d));
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
