// ACME_DOMAIN: the certificate's life in the running process. At start, a stored certificate
// for exactly these names is served at once; an order runs in the background when there is
// none or it is due; then one timer at a time sleeps until nextRenewal() says so.
import { join } from 'node:path';
import type { Logger } from '../../observability/logger.ts';
import { checkKeyPair, CertificateError, readKeyPair, type KeyPair } from '../certificate.ts';
import type { ServedCertificate } from '../served.ts';
import { isFresh, nextRenewal, type Failure } from './schedule.ts';
import { CERT_FILE, KEY_FILE, ensureDir, readState, writeAtomic, writeState, type AcmeState } from './state-files.ts';

export interface AcmeSettings {
  domains: string[];
  email: string | undefined;
  directoryUrl: string;
  caPem: string | undefined;
  /** Absolute. */
  stateDir: string;
}

/** Node timers overflow past ~24.8 days: long waits are taken in steps and re-checked. */
const MAX_SLEEP_MS = 86_400_000;

const sameNames = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

export class AcmeManager {
  readonly challenges = new Map<string, string>();
  private state: AcmeState = {};
  private timer: NodeJS.Timeout | undefined;
  private ordering: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly settings: AcmeSettings,
    private readonly served: ServedCertificate,
    private readonly logger: Logger,
    /** Called after every certificate change (the first one opens the HTTPS port). */
    private readonly onCertificate: () => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Checks the state folder (throws StateDirError) and reads state.json, before any listener opens. */
  prepare(): void {
    ensureDir(this.settings.stateDir);
    this.state = readState(this.settings.stateDir);
  }

  /** Serves a stored certificate if there is a good one; orders in the background otherwise. */
  start(): void {
    if (this.state.last_renewal_at) this.served.lastRenewalAt = new Date(this.state.last_renewal_at);
    if (this.state.last_error) this.served.lastError = this.state.last_error;
    const stored = this.stored();
    if (stored) {
      this.served.apply(stored);
      if (this.state.last_error) this.served.lastError = this.state.last_error;
      const fresh = isFresh(stored, this.now());
      this.logger.info(fresh ? 'acme certificate reused' : 'acme certificate reused until its renewal', {
        names: stored.names,
        not_after: stored.notAfter.toISOString(),
      });
      this.onCertificate();
    }
    this.schedule();
  }

  /** The stored pair if it is valid and covers exactly the configured names. */
  private stored(): KeyPair | undefined {
    const dir = this.settings.stateDir;
    try {
      const pair = readKeyPair(join(dir, CERT_FILE), join(dir, KEY_FILE), this.now());
      if (sameNames(pair.names, this.settings.domains)) return pair;
      this.logger.info('acme stored certificate covers other names; ordering a new one', {
        stored: pair.names,
        wanted: this.settings.domains,
      });
    } catch (error) {
      if (!(error instanceof CertificateError) || !/not found/.test(error.message))
        this.logger.warn('acme stored certificate not usable; ordering a new one', { error: (error as Error).message });
    }
    return undefined;
  }

  private lastFailure(): Failure | undefined {
    const { failures, last_error_at } = this.state;
    return failures && last_error_at ? { at: new Date(last_error_at), attempts: failures } : undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const now = this.now();
    const at = nextRenewal(this.served.current, now, this.lastFailure());
    this.served.nextRenewalAt = at;
    const wait = at.getTime() - now.getTime();
    if (wait <= 0) {
      void this.renew();
      return;
    }
    this.timer = setTimeout(() => this.schedule(), Math.min(wait, MAX_SLEEP_MS));
    this.timer.unref();
  }

  /** Runs one order unless one is running; resolves when it has finished either way. */
  renew(): Promise<void> {
    this.ordering ??= this.order().finally(() => {
      this.ordering = undefined;
      this.schedule();
    });
    return this.ordering;
  }

  private async order(): Promise<void> {
    const started = this.now();
    const renewal = this.served.current !== undefined;
    this.state = { ...this.state, last_attempt_at: started.toISOString() };
    this.logger.info(renewal ? 'acme renewal started' : 'acme order started', {
      names: this.settings.domains,
      directory: this.settings.directoryUrl,
    });
    try {
      const { orderCertificate } = await import('./order.ts');
      const { cert, key } = await orderCertificate({ ...this.settings, challenges: this.challenges });
      if (this.stopped) return;
      const pair = checkKeyPair(
        cert,
        key,
        { cert: 'certificate from the ACME server', key: 'new private key' },
        this.now(),
      );
      // Key first: a crash between the two writes leaves a mismatched pair, which the next start
      // rejects and re-orders, never a certificate served with the wrong key.
      writeAtomic(this.settings.stateDir, KEY_FILE, key, 0o600);
      writeAtomic(this.settings.stateDir, CERT_FILE, cert, 0o640);
      this.served.apply(pair);
      this.served.lastRenewalAt = this.now();
      this.state = { last_attempt_at: started.toISOString(), last_renewal_at: this.served.lastRenewalAt.toISOString() };
      this.saveState();
      this.logger.info(renewal ? 'acme certificate renewed' : 'acme certificate issued', {
        names: pair.names,
        not_after: pair.notAfter.toISOString(),
        fingerprint: pair.fingerprint,
        seconds: Math.round((this.now().getTime() - started.getTime()) / 100) / 10,
      });
      this.onCertificate();
    } catch (error) {
      if (this.stopped) return;
      const { explainAcmeError } = await import('./order.ts');
      const message = await explainAcmeError(error, this.settings).catch(() =>
        String((error as Error).message ?? error),
      );
      const failures = (this.state.failures ?? 0) + 1;
      this.state = { ...this.state, last_error: message, last_error_at: this.now().toISOString(), failures };
      this.served.lastError = message;
      this.saveState();
      const retry = nextRenewal(this.served.current, this.now(), this.lastFailure());
      this.logger.error(renewal ? 'acme renewal failed' : 'acme order failed', {
        error: message,
        failures,
        retry_at: retry.toISOString(),
        serving: renewal ? 'the current certificate' : 'nothing on the HTTPS port yet',
      });
    }
  }

  private saveState(): void {
    try {
      writeState(this.settings.stateDir, this.state);
    } catch (error) {
      this.logger.warn('acme state not saved', { error: (error as Error).message });
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.challenges.clear();
  }
}
