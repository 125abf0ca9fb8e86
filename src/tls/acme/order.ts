// One ACME order with acme-client: account key (made once, kept in ACME_STATE_DIR), a fresh
// certificate key, HTTP-01 answered by the proxy's own HTTP_PORT listener through `challenges`.
// This is the only module that loads acme-client (axios, @peculiar/x509): imported only with ACME_DOMAIN.
import { generateKeyPairSync } from 'node:crypto';
import { Agent, get } from 'node:https';
import { rootCertificates } from 'node:tls';
import AcmeClient from 'acme-client/src/client.js';
import acmeAxios from 'acme-client/src/axios.js';
import acmeCrypto from 'acme-client/src/crypto/index.js';
import { ACCOUNT_KEY, readOptional, writeAtomic } from './state-files.ts';

export interface OrderRequest {
  directoryUrl: string;
  /** Extra PEM roots trusted for the ACME server's own HTTPS (ACME_CA_FILE). */
  caPem: string | undefined;
  email: string | undefined;
  domains: string[];
  stateDir: string;
  /** token -> key authorization, served on HTTP_PORT while the order runs. */
  challenges: Map<string, string>;
}

const REQUEST_TIMEOUT_MS = 30_000;

function newKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

function accountKey(stateDir: string): string {
  const existing = readOptional(stateDir, ACCOUNT_KEY);
  if (existing) return existing;
  const key = newKey();
  writeAtomic(stateDir, ACCOUNT_KEY, key, 0o600);
  return key;
}

/** acme-client talks through its own axios instance: give it the extra CA and a timeout. */
function configureTransport(caPem: string | undefined): void {
  const instance = acmeAxios;
  instance.defaults.timeout = REQUEST_TIMEOUT_MS;
  // acme-client retries a failed request 5 times over 75 s, also for errors that never heal (an
  // untrusted CA): retry twice, quickly, and leave the rest to the renewal backoff (1 min .. 6 h).
  const settings = (
    instance.defaults as unknown as { acmeSettings?: { retryMaxAttempts: number; retryDefaultDelay: number } }
  ).acmeSettings;
  if (settings) Object.assign(settings, { retryMaxAttempts: 2, retryDefaultDelay: 2 });
  const agent = agentFor(caPem);
  if (agent) instance.defaults.httpsAgent = agent;
}

function agentFor(caPem: string | undefined): Agent | undefined {
  return caPem ? new Agent({ ca: [...rootCertificates, caPem], keepAlive: false }) : undefined;
}

/** GET the directory with node:https: the transport error axios lost, or undefined if it answers. */
function probeDirectory(url: string, caPem: string | undefined): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const agent = agentFor(caPem);
    const req = get(url, { timeout: 10_000, ...(agent ? { agent } : {}) }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 10 s'), { code: 'ETIMEDOUT' })));
    req.on('error', (error) => resolve(error as NodeJS.ErrnoException));
  });
}

/**
 * One line for logs and /health: the CA's problem detail or the network error, never a key.
 * acme-client 5.4 turns a transport error into "Cannot read properties of undefined" once its
 * retries are spent: the directory is then probed again to say what really failed.
 */
export async function explainAcmeError(
  error: unknown,
  req: Pick<OrderRequest, 'directoryUrl' | 'caPem'>,
): Promise<string> {
  let e = error as { message?: string; code?: string; response?: { status?: number; data?: { detail?: string } } };
  const detail = e.response?.data?.detail;
  if (!detail && !e.code && error instanceof TypeError) e = (await probeDirectory(req.directoryUrl, req.caPem)) ?? e;
  let text = detail ? `${e.response?.status ?? ''} ${detail}`.trim() : (e.message ?? String(error));
  if (!detail && /self[- ]signed|unable to (get|verify)|certificate/i.test(text))
    text += ' (the ACME server presents a certificate this machine does not trust: set ACME_CA_FILE for a private CA)';
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'ETIMEDOUT')
    text += ' (cannot reach ACME_DIRECTORY_URL)';
  return text.replace(/\s+/g, ' ').slice(0, 500);
}

/** Runs the order to the end; resolves with the PEM chain and its new private key. */
export async function orderCertificate(req: OrderRequest): Promise<{ cert: string; key: string }> {
  configureTransport(req.caPem);
  const client = new AcmeClient({ directoryUrl: req.directoryUrl, accountKey: accountKey(req.stateDir) });
  // Look the account up first: auto() would send an existing account an "update" carrying only
  // termsOfServiceAgreed, which strict servers (pebble) refuse.
  try {
    await client.createAccount({ onlyReturnExisting: true });
  } catch {
    await client.createAccount({
      termsOfServiceAgreed: true,
      ...(req.email ? { contact: [`mailto:${req.email}`] } : {}),
    });
  }
  const key = newKey();
  const [, csr] = await acmeCrypto.createCsr({ commonName: req.domains[0]!, altNames: req.domains }, key);
  const cert = await client.auto({
    csr,
    ...(req.email ? { email: req.email } : {}),
    termsOfServiceAgreed: true,
    challengePriority: ['http-01'],
    // acme-client's own pre-check fetches http://NAME/ from inside the container, which often
    // cannot reach its own public address (no hairpin NAT): the CA's check is the one that counts.
    skipChallengeVerification: true,
    challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
      if (challenge.type !== 'http-01')
        throw new Error(`challenge type ${challenge.type} is not supported (HTTP-01 only)`);
      req.challenges.set(challenge.token, keyAuthorization);
    },
    challengeRemoveFn: async (_authz, challenge) => {
      req.challenges.delete(challenge.token);
    },
  });
  return { cert, key };
}
