// The HTTPS listener's protocol settings, in one place so the first context and every reload
// (setSecureContext replaces all of them) use the same ones.
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { KeyPair } from './certificate.ts';

/** TLS 1.2 ciphers: forward-secret AEAD only (Mozilla "intermediate"); TLS 1.3 suites are all AEAD. */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

/** What every secure context gets, with or without a certificate yet. */
export function contextOptions(pair?: Pick<KeyPair, 'cert' | 'key'>): SecureContextOptions {
  return {
    minVersion: 'TLSv1.2',
    ciphers: `${TLS13_SUITES}:${TLS12_CIPHERS}`,
    honorCipherOrder: true,
    ...(pair ? { cert: pair.cert, key: pair.key } : {}),
  };
}

/** Options for https.createServer: the context plus the server-level ALPN list. */
export function serverOptions(pair?: Pick<KeyPair, 'cert' | 'key'>): TlsOptions {
  return { ...contextOptions(pair), ALPNProtocols: ['http/1.1'] };
}
