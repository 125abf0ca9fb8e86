// The HTTP server: node:http (no framework), one request handler that dispatches on the path,
// one error handler, one log line per request, graceful drain and config reload.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { loadProviderFile, type LoadedConfig } from '../config/load.ts';
import type { ClientApi } from '../providers/types.ts';
import { PoolSet } from '../upstream/pools.ts';
import { TokenAuth } from './auth.ts';
import { errors, ProxyError, sendError } from './errors.ts';
import type { TlsStatusSource } from '../tls/served.ts';
import { healthReport, isReady, type HealthState } from '../observability/health.ts';
import { Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { handleApi, newRequestContext, requestLogMembers, type RequestContext } from '../proxy/handle-api.ts';
import { RateLimiter } from './rate-limit.ts';
import { requestId } from './request-id.ts';
import { compileRuntime, type Runtime } from '../proxy/runtime.ts';

const API_PATHS: Record<string, ClientApi> = {
  '/v1/chat/completions': 'chat',
  '/v1/messages': 'messages',
  '/v1/embeddings': 'embeddings',
  '/v1/responses': 'responses',
  '/v1/completions': 'completions',
};

export interface ProxyServerOptions {
  logger?: Logger;
  /** HTTPS instead of plain HTTP, with the same request handler (src/tls/ supplies both parts). */
  tls?: { options: TlsOptions; status: TlsStatusSource };
}

export class ProxyServer {
  readonly server: Server;
  readonly metrics: Metrics = createMetrics();
  readonly logger: Logger;
  private readonly pools = new PoolSet();
  private auth: TokenAuth;
  private limiter: RateLimiter | undefined;
  private health: HealthState;
  private active = new Set<ServerResponse>();

  constructor(
    private config: LoadedConfig,
    options: ProxyServerOptions = {},
  ) {
    this.logger = options.logger ?? new Logger(config.env.logLevel);
    this.auth = new TokenAuth(config.env.authToken);
    const runtime = compileRuntime(config, this.pools);
    this.health = {
      runtime,
      startedAt: Date.now(),
      lastReloadError: undefined,
      draining: false,
      tls: options.tls?.status,
    };
    this.applySettings(runtime);
    const httpOptions = {
      keepAliveTimeout: 65_000,
      requestTimeout: config.server.body_timeout * 1000,
      headersTimeout: config.server.header_timeout * 1000,
      // Node checks those two timeouts on this interval (30 s by default): check every second.
      connectionsCheckingInterval: 1000,
    };
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res);
    };
    // https.Server is an http.Server over TLS sockets: same handler, keep-alive and streaming.
    // node:https loads OpenSSL's TLS half (~3 MB resident): only when TLS is on.
    this.server = options.tls
      ? process.getBuiltinModule('node:https').createServer({ ...httpOptions, ...options.tls.options }, handler)
      : createServer(httpOptions, handler);
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
  }

  get runtime(): Runtime {
    return this.health.runtime;
  }

  private applySettings(rt: Runtime): void {
    const s = rt.settings;
    this.limiter = s.rate_limit ? new RateLimiter(s.rate_limit.requests_per_minute, s.rate_limit.burst) : undefined;
    this.logger.setSecrets([
      this.config.env.authToken,
      ...rt.config.providers.flatMap((p) => [p.apiKey, ...Object.values(p.headers)]),
    ]);
    if (this.server) {
      this.server.headersTimeout = s.header_timeout * 1000;
      this.server.requestTimeout = s.body_timeout * 1000;
    }
  }

  /** /health/ready and /health for the plain HTTP_PORT listener (src/tls/http-port.ts). */
  probes(): { ready: () => boolean; health: () => { status: string; body: string } } {
    return { ready: () => isReady(this.health), health: () => healthReport(this.health) };
  }

  listen(port: number, host = '0.0.0.0'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Re-reads provider-config.yaml. On any error the running config stays and the error is kept. */
  reload(): { ok: true } | { ok: false; error: string } {
    try {
      const next = loadProviderFile(this.config.dir, this.config.vars);
      const config: LoadedConfig = { ...this.config, ...next };
      const runtime = compileRuntime(config, this.pools, this.health.runtime);
      this.config = config;
      this.health.runtime = runtime;
      this.health.lastReloadError = undefined;
      this.applySettings(runtime);
      this.metrics.reloads.inc('result="ok"');
      this.logger.info('config reloaded', {
        providers: runtime.providers.size,
        routes: runtime.routes.size,
        warnings: next.warnings,
      });
      return { ok: true };
    } catch (error) {
      const message = (error as Error).message;
      this.health.lastReloadError = message;
      this.metrics.reloads.inc('result="error"');
      this.logger.error('config reload failed; keeping the previous configuration', { error: message });
      return { ok: false, error: message };
    }
  }

  /** Stops accepting, lets in-flight requests and streams finish for up to graceMs, then cuts them. */
  async shutdown(graceMs = 10_000): Promise<void> {
    this.health.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const drained = new Promise<void>((resolve) => {
      if (this.active.size === 0) return resolve();
      const check = setInterval(() => {
        this.server.closeIdleConnections();
        if (this.active.size === 0) {
          clearInterval(check);
          resolve();
        }
      }, 50);
      check.unref();
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn('shutdown grace period over; closing remaining connections', { open: this.active.size });
      this.server.closeAllConnections();
    }
    await closed;
    await this.pools.closeAll();
    this.logger.flush();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const ctx = newRequestContext(requestId(req.headers['x-request-id']), req.method ?? 'GET', path, performance.now());
    res.setHeader('x-request-id', ctx.id);
    if (this.health.draining) res.setHeader('connection', 'close');
    this.active.add(res);
    this.metrics.activeRequests.inc();
    res.once('close', () => this.finish(ctx, res));
    this.dispatch(path, req, res, ctx).catch((error: unknown) => {
      // A body over the limit is not read: close the connection after answering, but keep
      // discarding what the client still sends so it reads the 413 instead of a reset.
      if (error instanceof ProxyError && error.status === 413 && !res.headersSent) {
        res.setHeader('connection', 'close');
        req.resume();
      }
      const err = sendError(res, error, (t) => this.logger.scrub(t));
      ctx.error = err.message;
      if (err.status >= 500 && !(error instanceof Error && error.name === 'ProxyError')) {
        this.logger.error('unhandled error', {
          request_id: ctx.id,
          error: this.logger.scrub(error instanceof Error ? (error.stack ?? error.message) : String(error)),
        });
      }
    });
  }

  private async dispatch(path: string, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const api = API_PATHS[path];
    if (api !== undefined) {
      if (req.method !== 'POST') throw errors.methodNotAllowed(req.method ?? '', path);
      this.authorize(req);
      return handleApi(api, req, res, ctx, {
        runtime: this.health.runtime,
        metrics: this.metrics,
        logger: this.logger,
      });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(req.method ?? '', path);
    switch (path) {
      case '/ping':
        return text(res, 200, 'pong', 'text/plain');
      case '/health/live':
        return text(res, 200, '{"status":"ok"}', 'application/json');
      case '/health/ready': {
        const ready = isReady(this.health);
        return text(
          res,
          ready ? 200 : 503,
          ready ? '{"status":"ready"}' : '{"status":"not ready"}',
          'application/json',
        );
      }
      case '/health': {
        const h = healthReport(this.health);
        return text(res, h.status === 'error' ? 503 : 200, h.body, 'application/json');
      }
      case '/metrics':
        this.authorize(req);
        return text(res, 200, this.metrics.registry.render(), 'text/plain; version=0.0.4');
      case '/v1/models':
        this.authorize(req);
        return text(res, 200, this.health.runtime.modelsBody, 'application/json');
      default:
        throw errors.notFound(path);
    }
  }

  private authorize(req: IncomingMessage): void {
    const token = TokenAuth.presented(req.headers);
    if (!this.auth.check(token)) throw errors.unauthorized();
    if (this.limiter) {
      const wait = this.limiter.take(token!);
      if (wait > 0) throw errors.rateLimited(wait);
    }
  }

  private finish(ctx: RequestContext, res: ServerResponse): void {
    this.active.delete(res);
    this.metrics.activeRequests.dec();
    const seconds = (performance.now() - ctx.start) / 1000;
    const status = ctx.clientClosed || !res.writableFinished ? 499 : res.statusCode;
    this.metrics.requests.inc(
      `endpoint="${ctx.path.startsWith('/v1/') ? ctx.path : 'other'}",route="${ctx.route}",provider="${ctx.provider}",status="${status}"`,
    );
    if (ctx.provider) this.metrics.duration.observe(`endpoint="${ctx.path}",provider="${ctx.provider}"`, seconds);
    // Probes (Docker every few seconds, Prometheus) would drown the real traffic at info level.
    const level = ctx.path.startsWith('/v1/') ? 'info' : 'debug';
    if (this.logger.enabled(level))
      this.logger.members(level, 'request', requestLogMembers(ctx, status, Math.round(seconds * 10000) / 10));
  }
}

function text(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
