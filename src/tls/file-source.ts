// TLS_CERT_FILE/TLS_KEY_FILE: loaded at start (a bad pair is a config error), reloaded on
// SIGHUP and when either file changes. The watch is on the folders, not the files: certbot and
// Kubernetes replace files by renaming over them, which a watch on the old inode never sees.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../observability/logger.ts';
import { readKeyPair } from './certificate.ts';
import type { ServedCertificate } from './served.ts';

/** Writers replace the two files one after the other: wait for both before reading. */
const SETTLE_MS = 300;

export class FileCertificateSource {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
    private readonly served: ServedCertificate,
    private readonly logger: Logger,
  ) {}

  /** The first load: throws CertificateError, which serve turns into exit 78. */
  load(): void {
    const pair = readKeyPair(this.certFile, this.keyFile);
    this.served.apply(pair);
    this.served.lastRenewalAt = new Date();
  }

  /** Re-reads the pair; a bad one is logged and shown in /health, and the current one stays. */
  reload(reason: string): boolean {
    try {
      const pair = readKeyPair(this.certFile, this.keyFile);
      if (pair.digest === this.served.current?.digest) {
        this.served.lastError = undefined;
        return true;
      }
      this.served.apply(pair);
      this.served.lastRenewalAt = new Date();
      this.logger.info('tls certificate reloaded', {
        reason,
        names: pair.names,
        not_after: pair.notAfter.toISOString(),
        fingerprint: pair.fingerprint,
      });
      return true;
    } catch (error) {
      this.served.lastError = (error as Error).message;
      this.logger.error('tls certificate reload failed; keeping the current certificate', {
        reason,
        error: (error as Error).message,
      });
      return false;
    }
  }

  watch(): void {
    const names = new Map<string, Set<string>>();
    for (const file of [this.certFile, this.keyFile]) {
      const dir = dirname(file);
      if (!names.has(dir)) names.set(dir, new Set());
      names.get(dir)!.add(basename(file));
    }
    for (const [dir, files] of names) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          // Kubernetes secret volumes swap a `..data` symlink: any change in the folder counts then.
          if (name === null || files.has(name.toString()) || name.toString().startsWith('..')) this.schedule();
        });
        w.on('error', (error) =>
          this.logger.warn('tls certificate watch stopped; send SIGHUP after replacing the files', {
            dir,
            error: error.message,
          }),
        );
        this.watchers.push(w);
      } catch (error) {
        this.logger.warn('cannot watch the certificate folder; send SIGHUP after replacing the files', {
          dir,
          error: (error as Error).message,
        });
      }
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload('file change'), SETTLE_MS);
    this.timer.unref();
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
