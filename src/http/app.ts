// The request handler, independent of any listening socket: every request gets an id, goes to its
// path's handler (routes.ts), has its errors answered in one place (sendError) and leaves one
// record (metrics and log line). server.ts serves it over node:http; in-memory.ts drives it in tests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthState } from '../observability/health.ts';
import { Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { newRequestContext, type RequestContext, recordRequest } from '../observability/request-record.ts';
import type { Runtime } from '../proxy/runtime.ts';
import type { TlsStatusSource } from '../tls/served.ts';
import { TokenAuth } from './auth.ts';
import { errors, ProxyError, sendError } from './errors.ts';
import { RateLimiter } from './rate-limit.ts';
import { requestId } from './request-id.ts';
import { dispatch } from './routes.ts';

export interface ProxyAppOptions {
  logger?: Logger;
  /** Present when PORT serves HTTPS: readiness and /health include the certificate. */
  tls?: TlsStatusSource;
}

export class ProxyApp {
  readonly metrics: Metrics = createMetrics();
  readonly logger: Logger;
  readonly health: HealthState;
  /** Responses in progress: a graceful shutdown waits for them. */
  readonly inFlight = new Set<ServerResponse>();
  private readonly auth: TokenAuth;
  private limiter: RateLimiter | undefined;

  constructor(runtime: Runtime, options: ProxyAppOptions = {}) {
    const env = runtime.config.env;
    this.logger = options.logger ?? new Logger(env.logLevel);
    this.auth = new TokenAuth(env.authToken);
    this.health = { runtime, startedAt: Date.now(), lastReloadError: undefined, draining: false, tls: options.tls };
    this.useRuntime(runtime);
  }

  get runtime(): Runtime {
    return this.health.runtime;
  }

  /** Serves from this runtime from the next request on (a reload): its limits and its secrets. */
  useRuntime(rt: Runtime): void {
    this.health.runtime = rt;
    this.health.lastReloadError = undefined;
    const s = rt.settings;
    this.limiter = s.rate_limit ? new RateLimiter(s.rate_limit.requests_per_minute, s.rate_limit.burst) : undefined;
    this.logger.setSecrets([
      rt.config.env.authToken,
      ...rt.config.providers.flatMap((p) => [p.apiKey, ...Object.values(p.headers)]),
    ]);
  }

  /** A reload that failed: the runtime stays, /health shows the error. */
  reloadFailed(message: string): void {
    this.health.lastReloadError = message;
  }

  /** Not ready from now on, and every answer closes its connection. */
  startDraining(): void {
    this.health.draining = true;
  }

  /** The node:http request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const ctx = newRequestContext(requestId(req.headers['x-request-id']), req.method ?? 'GET', path, performance.now());
    res.setHeader('x-request-id', ctx.id);
    if (this.health.draining) res.setHeader('connection', 'close');
    this.inFlight.add(res);
    this.metrics.activeRequests.inc();
    res.once('close', () => this.finish(ctx, res));
    dispatch(this, path, req, res, ctx).catch((error: unknown) => this.fail(error, req, res, ctx));
  };

  /** 401 unless the client presents a valid key; 429 while it is over its rate limit. */
  authorize(req: IncomingMessage): void {
    const client = this.auth.authenticate(req.headers);
    if (this.limiter) {
      const wait = this.limiter.take(client);
      if (wait > 0) throw errors.rateLimited(wait);
    }
  }

  /** The one error handler: the error's response, and a log line for what no handler expected. */
  private fail(error: unknown, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
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
  }

  private finish(ctx: RequestContext, res: ServerResponse): void {
    this.inFlight.delete(res);
    this.metrics.activeRequests.dec();
    recordRequest(ctx, ctx.clientClosed || !res.writableFinished ? 499 : res.statusCode, this.metrics, this.logger);
  }
}
