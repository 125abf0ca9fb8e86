// The certificate the HTTPS listener presents right now, and what /health says about it.
// Both sources (operator files, ACME) swap it through here; open connections keep the context
// they were made with, new handshakes get the new one.
import type { Server as TlsServer } from 'node:tls';
import type { KeyPair } from './certificate.ts';
import { contextOptions } from './options.ts';

/** The `tls` component of /health (the contract in docs/configuration.md#https). */
export interface TlsHealth {
  mode: 'file' | 'acme';
  status: 'ok' | 'pending' | 'error';
  names: string[];
  not_after?: string;
  days_left?: number;
  last_renewal_at?: string;
  last_error?: string;
  next_renewal_at?: string;
}

/** What app.ts and health.ts need to know about TLS, without importing the TLS machinery. */
export interface TlsStatusSource {
  /** False until a certificate is loaded: /health/ready answers 503 meanwhile. */
  loaded(): boolean;
  health(now?: Date): TlsHealth;
}

const DAY_MS = 86_400_000;

export class ServedCertificate implements TlsStatusSource {
  current: KeyPair | undefined;
  lastError: string | undefined;
  lastRenewalAt: Date | undefined;
  nextRenewalAt: Date | undefined;
  private server: TlsServer | undefined;

  constructor(
    readonly mode: 'file' | 'acme',
    /** The names this certificate must cover (ACME_DOMAIN), shown before one is loaded. */
    private readonly wanted: string[] = [],
  ) {}

  /** Binds to the HTTPS server; a certificate loaded earlier is applied at once. */
  attach(server: TlsServer): void {
    this.server = server;
    if (this.current) server.setSecureContext(contextOptions(this.current));
  }

  /** Presents `pair` to new handshakes. Throws (keeping the old context) if OpenSSL refuses it. */
  apply(pair: KeyPair): void {
    this.server?.setSecureContext(contextOptions(pair));
    this.current = pair;
    this.lastError = undefined;
  }

  loaded(): boolean {
    return this.current !== undefined;
  }

  health(now = new Date()): TlsHealth {
    const c = this.current;
    const status = this.lastError !== undefined ? 'error' : c ? 'ok' : 'pending';
    return {
      mode: this.mode,
      status,
      names: c?.names ?? this.wanted,
      ...(c
        ? {
            not_after: c.notAfter.toISOString(),
            days_left: Math.floor((c.notAfter.getTime() - now.getTime()) / DAY_MS),
          }
        : {}),
      ...(this.lastRenewalAt ? { last_renewal_at: this.lastRenewalAt.toISOString() } : {}),
      ...(this.lastError !== undefined ? { last_error: this.lastError } : {}),
      ...(this.nextRenewalAt ? { next_renewal_at: this.nextRenewalAt.toISOString() } : {}),
    };
  }
}
