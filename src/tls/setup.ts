// HTTPS for `ai-proxy serve`: turns the TLS variables into a certificate source, the HTTPS
// server options and the HTTP_PORT listener. Imported only when TLS is on, so plain-HTTP
// installs never load it; the ACME half (acme-client) is imported only with ACME_DOMAIN.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import type { Server as TlsServer, TlsOptions } from 'node:tls';
import type { TlsEnv } from '../config/env.ts';
import { ExitError, listenFailure } from '../exit-error.ts';
import type { Logger } from '../observability/logger.ts';
import { CertificateError } from './certificate.ts';
import { FileCertificateSource } from './file-source.ts';
import { startHttpPort } from './http-port.ts';
import { serverOptions } from './options.ts';
import { ServedCertificate } from './served.ts';
import type { AcmeManager } from './acme/manager.ts';

const EX_CONFIG = 78;

/** What the proxy exposes to the HTTP_PORT listener. */
export interface ProxyProbes {
  ready(): boolean;
  health(): { status: string; body: string };
}

export class TlsSetup {
  readonly served: ServedCertificate;
  private file: FileCertificateSource | undefined;
  private acme: AcmeManager | undefined;
  private httpServer: Server | undefined;
  private firstCertificate: (() => void) | undefined;

  private constructor(
    readonly env: TlsEnv,
    private readonly configDir: string,
    private readonly logger: Logger,
  ) {
    this.served = new ServedCertificate(env.mode, env.mode === 'acme' ? env.domains : []);
  }

  /** File mode: loads the pair now (a bad one is exit 78). ACME: reads ACME_CA_FILE. */
  static async prepare(env: TlsEnv, configDir: string, logger: Logger): Promise<TlsSetup> {
    const setup = new TlsSetup(env, configDir, logger);
    const path = (p: string) => resolve(configDir, p);
    if (env.mode === 'file') {
      setup.file = new FileCertificateSource(path(env.certFile), path(env.keyFile), setup.served, logger);
      try {
        setup.file.load();
      } catch (error) {
        if (error instanceof CertificateError)
          throw new ExitError(EX_CONFIG, `invalid configuration: TLS_CERT_FILE/TLS_KEY_FILE: ${error.message}`);
        throw error;
      }
    } else {
      let caPem: string | undefined;
      if (env.caFile) {
        try {
          caPem = readFileSync(path(env.caFile), 'utf8');
        } catch (error) {
          throw new ExitError(
            EX_CONFIG,
            `invalid configuration: ACME_CA_FILE: ${path(env.caFile)}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
          );
        }
        if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
          throw new ExitError(
            EX_CONFIG,
            `invalid configuration: ACME_CA_FILE: ${path(env.caFile)}: no PEM certificate in it`,
          );
      }
      const { AcmeManager } = await import('./acme/manager.ts');
      setup.acme = new AcmeManager(
        { domains: env.domains, email: env.email, directoryUrl: env.directoryUrl, caPem, stateDir: path(env.stateDir) },
        setup.served,
        logger,
        () => setup.certificateChanged(),
      );
      try {
        setup.acme.prepare();
      } catch (error) {
        throw new ExitError(EX_CONFIG, `invalid configuration: ACME_STATE_DIR: ${(error as Error).message}`);
      }
    }
    return setup;
  }

  /** Options for https.createServer (with the certificate when one is loaded already). */
  serverOptions(): TlsOptions {
    return serverOptions(this.served.current);
  }

  /**
   * Binds the certificate to the HTTPS server, opens HTTP_PORT, starts the watch or the ACME
   * scheduler. `onFirstCertificate` runs once, as soon as a certificate is loaded.
   */
  async start(server: TlsServer, host: string, probes: ProxyProbes, onFirstCertificate: () => void): Promise<void> {
    this.served.attach(server);
    this.firstCertificate = onFirstCertificate;
    if (this.env.httpPort !== undefined) {
      const challenges = this.acme?.challenges;
      const { server: http, address } = await startHttpPort(this.env.httpPort, host, {
        challenge: (token) => challenges?.get(token),
        ready: () => probes.ready(),
        health: () => probes.health(),
        publicHttpsPort: this.env.publicHttpsPort,
      }).catch((error: unknown) => {
        throw listenFailure(
          `HTTP_PORT ${this.env.httpPort}`,
          error,
          'another process uses it; change HTTP_PORT in .env',
        );
      });
      this.httpServer = http;
      this.logger.info('http port listening', {
        address: address.address,
        port: address.port,
        serves: this.acme
          ? 'acme challenges, loopback health, redirect to https'
          : 'loopback health, redirect to https',
      });
    }
    if (this.file) {
      this.file.watch();
      this.logger.info('tls certificate loaded', {
        names: this.served.current!.names,
        not_after: this.served.current!.notAfter.toISOString(),
        fingerprint: this.served.current!.fingerprint,
      });
      this.certificateChanged();
    } else {
      this.acme!.start();
    }
  }

  private certificateChanged(): void {
    const first = this.firstCertificate;
    this.firstCertificate = undefined;
    first?.();
  }

  /** SIGHUP: re-read the operator's files (ACME certificates renew themselves). */
  reload(): void {
    this.file?.reload('SIGHUP');
  }

  async close(): Promise<void> {
    this.file?.close();
    this.acme?.stop();
    const http = this.httpServer;
    if (http) {
      await new Promise<void>((r) => {
        http.close(() => r());
        http.closeAllConnections();
      });
    }
  }
}
