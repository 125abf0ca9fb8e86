// The listening server: node:http (or node:https) around the request handler (app.ts), with
// answers for malformed or slow requests, config reload and graceful drain.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { type LoadedConfig, loadProviderFile } from '../config/load.ts';
import { healthReport, isReady } from '../observability/health.ts';
import { reloadLabels } from '../observability/labels.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { compileRuntime, type Runtime } from '../proxy/runtime.ts';
import type { TlsStatusSource } from '../tls/served.ts';
import { PoolSet } from '../upstream/pools.ts';
import { storeTarget } from '../store/open.ts';
import { redactUrl } from '../store/url.ts';
import { clip } from '../limits/clip.ts';
import { MAX_ERROR_MESSAGE } from '../limits/model.ts';
import { ProxyApp } from './app.ts';
import { type DrainOptions, type DrainResult, drain, type OpenRequest } from './drain.ts';
import { listenOn } from './listen.ts';
import { instanceSocketPath } from './shared-network.ts';
import { WriteTimeout } from './write-timeout.ts';

export interface ProxyServerOptions {
  logger?: Logger;
  /** this proxy's name in the header of its health answers (shared-network.ts) */
  instance?: string;
  /** HTTPS instead of plain HTTP, with the same request handler (src/tls/ supplies both parts). */
  tls?: { options: TlsOptions; status: TlsStatusSource };
}

export class ProxyServer {
  readonly server: Server;
  readonly app: ProxyApp;
  private readonly pools = new PoolSet();
  /** the abstract-socket listener of the shared-network mode (listenInstanceSocket) */
  private instanceServer: Server | undefined;
  private readonly writeTimeout = new WriteTimeout();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private config: LoadedConfig,
    options: ProxyServerOptions = {},
  ) {
    this.app = new ProxyApp(compileRuntime(config, this.pools), {
      logger: options.logger,
      tls: options.tls?.status,
      instance: options.instance,
    });
    const httpOptions = {
      keepAliveTimeout: 65_000,
      requestTimeout: config.server.body_timeout * 1000,
      headersTimeout: config.server.header_timeout * 1000,
      // Node checks those two timeouts on this interval (30 s by default): check every second.
      connectionsCheckingInterval: 1000,
    };
    // https.Server is an http.Server over TLS sockets: same handler, keep-alive and streaming.
    // node:https loads OpenSSL's TLS half (~3 MB resident): only when TLS is on.
    this.server = options.tls
      ? process.getBuiltinModule('node:https').createServer({ ...httpOptions, ...options.tls.options }, this.app.handle)
      : createServer(httpOptions, this.app.handle);
    // Requests that are malformed or too slow (headersTimeout, requestTimeout) end here: answer
    // with the matching status rather than Node's bare 400, then close.
    this.server.on('clientError', (err, socket) => {
      const code = (err as NodeJS.ErrnoException).code;
      const status =
        code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : code === 'HPE_HEADER_OVERFLOW'
            ? '431 Request Header Fields Too Large'
            : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      else socket.destroy(err);
    });
    this.applySettings();
    this.sweeper = setInterval(() => {
      this.writeTimeout.sweep(this.app.inFlight.keys(), this.runtime.settings.write_timeout * 1000);
    }, 1000);
    this.sweeper.unref();
  }

  /** The settings the listening server itself enforces, at start and after a reload. */
  private applySettings(): void {
    const s = this.runtime.settings;
    this.server.headersTimeout = s.header_timeout * 1000;
    this.server.requestTimeout = s.body_timeout * 1000;
    // Beyond it new connections are closed at once: each costs memory (docs/architecture.md).
    this.server.maxConnections = s.max_connections;
  }

  get runtime(): Runtime {
    return this.app.runtime;
  }

  get metrics(): Metrics {
    return this.app.metrics;
  }

  get logger(): Logger {
    return this.app.logger;
  }

  /**
   * Client keys, their limits and the usage ledger, when DATA_DIR or DATABASE_URL names a store.
   * Imported only then; PostgreSQL is connected to (and migrated) here, SQLite when first needed.
   */
  async startGateway(options: { clock?: () => number } = {}): Promise<void> {
    const target = storeTarget(
      this.config.env.store ?? { databaseUrl: undefined, dataDir: undefined },
      this.config.dir,
    );
    if (target.kind === 'none') {
      this.logger.info('client keys and the usage ledger are off', { reason: target.reason });
      return;
    }
    const { Gateway } = await import('../gateway/gateway.ts');
    const gateway = await Gateway.start({
      target,
      ledger: this.config.ledger ?? { enabled: true, retention_days: 90 },
      prices: this.config.prices ?? {},
      log: this.logger,
      metrics: this.metrics.registry,
      ...options,
    });
    this.app.useGateway(gateway);
    const health = gateway.health();
    this.logger.info('client keys and the usage ledger are on', {
      store: target.kind,
      location: target.kind === 'postgres' ? redactUrl(target.url) : target.path,
      keys: health.keys.keys,
      ledger: this.config.ledger?.enabled !== false,
    });
  }

  /**
   * Serves `prefix` and the paths under it with another handler (the console on PORT, when
   * CONSOLE_ON_PUBLIC_PORT is set); every other request goes to the proxy as before. Without a
   * mount the proxy's handler is the listener itself: not even the prefix check is added.
   */
  mount(prefix: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    const proxy = this.app.handle;
    this.server.off('request', proxy);
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      const next = url.charCodeAt(prefix.length);
      // "/console", "/console/..." and "/console?..." only: not "/consoles".
      if (url.startsWith(prefix) && (Number.isNaN(next) || next === 47 || next === 63)) handler(req, res);
      else proxy(req, res);
    });
  }

  /** /health/ready and /health for the plain HTTP_PORT listener (src/tls/http-port.ts). */
  probes(): { ready: () => boolean; health: () => { status: string; body: string } } {
    return { ready: () => isReady(this.app.health), health: () => healthReport(this.app.health) };
  }

  /** `reusePort`: share the port with other proxies of this network namespace (listen.ts). */
  listen(port: number, host = '0.0.0.0', reusePort = false): Promise<AddressInfo> {
    return listenOn(this.server, { port, host, reusePort });
  }

  /**
   * Also answers on this proxy's own abstract unix socket, plain HTTP with the same handler:
   * what its health check asks in a shared network namespace (shared-network.ts).
   */
  listenInstanceSocket(): Promise<void> {
    const server = createServer({ keepAliveTimeout: 5000 }, this.app.handle);
    this.instanceServer = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(instanceSocketPath(), () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** The requests still being answered, for a drain's reports. */
  openRequests(): OpenRequest[] {
    return [...this.app.inFlight.values()].map((c) => ({
      id: c.id,
      path: c.path,
      model: c.model,
      stream: c.stream,
      startedAt: c.start,
    }));
  }

  /** Re-reads provider-config.yaml. On any error the running config stays and the error is kept. */
  reload(): { ok: true } | { ok: false; error: string } {
    try {
      const next = loadProviderFile(this.config.dir, this.config.vars);
      const config: LoadedConfig = { ...this.config, ...next };
      const runtime = compileRuntime(config, this.pools, this.app.runtime);
      this.config = config;
      this.app.useRuntime(runtime);
      this.applySettings();
      this.metrics.reloads.inc(reloadLabels.ok);
      this.logger.info('config reloaded', {
        providers: runtime.providers.size,
        routes: runtime.routes.size,
        warnings: next.warnings,
      });
      return { ok: true };
    } catch (error) {
      // Like every error: no secret (the running config's keys, its token) and a bounded length.
      const message = clip(this.logger.scrub((error as Error).message), MAX_ERROR_MESSAGE);
      this.app.reloadFailed(message);
      this.metrics.reloads.inc(reloadLabels.error);
      this.logger.error('config reload failed; keeping the previous configuration', { error: message });
      return { ok: false, error: message };
    }
  }

  /**
   * Leaves without failing a client (drain.ts): not ready from now on and every answer closes
   * its connection; the port closes after `delayMs`; running requests and streams finish for up
   * to `limitMs`, then whatever is left is cut.
   */
  async drain(opts: DrainOptions): Promise<DrainResult> {
    this.app.startDraining();
    const result = await drain(
      {
        server: this.server,
        openRequests: () => this.openRequests(),
        closeIdle: () => this.server.closeIdleConnections(),
        cutAll: () => this.server.closeAllConnections(),
      },
      opts,
    );
    // the health check keeps its own socket until the end: a draining proxy is still alive
    this.instanceServer?.closeAllConnections();
    this.instanceServer?.close();
    // The last ledger rows are written and the limit leases given back before the exit.
    await this.app.gateway?.close();
    clearInterval(this.sweeper);
    await this.pools.closeAll();
    this.app.noise.flush();
    this.logger.flush();
    return result;
  }

  /** A quiet drain (tests, embedders): no delay, idle connections closed at once, cut after graceMs. */
  async shutdown(graceMs = 10_000): Promise<void> {
    await this.drain({ delayMs: 0, limitMs: graceMs, idleGraceMs: 0, reportEveryMs: graceMs, report: () => {} });
  }
}
