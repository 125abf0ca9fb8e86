// Host names, as ACME_DOMAIN (the proxy) and --domain and --manager (the installer) accept them,
// and which names a certificate covers. No node:crypto here: a certificate is read through the
// two fields the answer depends on, so the serve path loads nothing for it.

/** A DNS name in lower case: labels of 1-63 letters, digits and inner hyphens, 253 characters at most; no wildcard. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isDnsName(name: string): boolean {
  return DNS_NAME.test(name);
}

/** What certificateNames reads of an X509Certificate. */
export interface CertificateSubject {
  subjectAltName?: string | undefined;
  subject: string;
}

/** The names a certificate covers, lower-cased: subjectAltName DNS and IP entries, or the CN when it has none. */
export function certificateNames(cert: CertificateSubject): string[] {
  const san = cert.subjectAltName;
  if (san) {
    return san
      .split(/,\s*/)
      .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1]?.trim().toLowerCase())
      .filter((name): name is string => name !== undefined && name !== '');
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** True when `name` is one of `names` or matches one of its wildcards (one label), ignoring case. */
export function covers(names: readonly string[], name: string): boolean {
  const wanted = name.toLowerCase();
  return names.some((entry) => {
    const n = entry.toLowerCase();
    if (n === wanted) return true;
    if (!n.startsWith('*.')) return false;
    const dot = wanted.indexOf('.');
    return dot > 0 && wanted.slice(dot + 1) === n.slice(2);
  });
}
