// The request handler, independent of any listening socket: every request gets an id, goes to its
// path's handler (routes.ts), has its errors answered in one place (sendError) and leaves one
// record (metrics and log line). server.ts serves it over node:http; in-memory.ts drives it in tests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN, type FinishedRequest, type Gateway, type Principal } from '../gateway/gateway.ts';
import type { GateRefusal } from '../gateway/refusals.ts';
import type { Socket } from 'node:net';
import { ConnectionShare, MemoryBudget, RequestMemory } from '../limits/budget.ts';
import { LINGER_FACTOR, LINGER_MS, REQUEST_FACTOR, reserveOf } from '../limits/model.ts';
import type { HealthState } from '../observability/health.ts';
import { Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { NoiseSummary } from '../observability/noise.ts';
import { newRequestContext, type RequestContext, recordRequest } from '../observability/request-record.ts';
import type { Runtime } from '../proxy/runtime.ts';
import type { TlsStatusSource } from '../tls/served.ts';
import { TokenAuth } from './auth.ts';
import { errors, ProxyError, sendError } from './errors.ts';
import { lingerOnBody } from './linger.ts';
import { RateLimiter } from './rate-limit.ts';
import { requestId } from './request-id.ts';
import { API_PATHS, dispatch } from './routes.ts';

export interface ProxyAppOptions {
  logger?: Logger;
  /** Present when PORT serves HTTPS: readiness and /health include the certificate. */
  tls?: TlsStatusSource;
  /** This proxy's name, sent with its health answers (http/shared-network.ts). */
  instance?: string | undefined;
}

export class ProxyApp {
  readonly metrics: Metrics = createMetrics(() => this.budget?.inUse ?? 0);
  readonly logger: Logger;
  readonly health: HealthState;
  readonly instance: string | undefined;
  /** Responses in progress, with what they are: a drain waits for them and says which they are. */
  readonly inFlight = new Map<ServerResponse, RequestContext>();
  /** Unauthenticated refusals, summarised once per second in the log. */
  readonly noise: NoiseSummary;
  private readonly auth: TokenAuth;
  private limiter: RateLimiter | undefined;
  /** Client keys, their limits and the ledger; undefined when no store is configured. */
  gateway: Gateway | undefined;
  /** What every request body and buffered answer is charged to (src/limits/). */
  private budget: MemoryBudget | undefined;
  private readonly shares = new WeakMap<Socket, ConnectionShare>();

  constructor(runtime: Runtime, options: ProxyAppOptions = {}) {
    const env = runtime.config.env;
    this.logger = options.logger ?? new Logger(env.logLevel);
    this.noise = new NoiseSummary(this.logger);
    this.auth = new TokenAuth(env.authToken);
    this.instance = options.instance;
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
    // Requests in progress keep the budget they were charged to; a new size applies to new ones.
    if (this.budget?.total !== s.memory_budget_bytes)
      this.budget = new MemoryBudget(s.memory_budget_bytes, reserveOf(s.memory_budget_bytes));
    this.logger.setSecrets([
      rt.config.env.authToken,
      ...rt.config.providers.flatMap((p) => [p.apiKey, ...Object.values(p.headers)]),
    ]);
    this.gateway?.configure(rt.config.prices ?? {}, rt.config.ledger ?? DEFAULT_LEDGER);
  }

  /** Client keys from now on (serve starts the gateway once the store is reachable). */
  useGateway(gateway: Gateway): void {
    this.gateway = gateway;
    this.health.gateway = gateway;
    gateway.configure(this.runtime.config.prices ?? {}, this.runtime.config.ledger ?? DEFAULT_LEDGER);
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
    this.inFlight.set(res, ctx);
    this.metrics.activeRequests.inc();
    res.once('close', () => this.finish(ctx, res));
    // Answered before its body was read (refused): read and discard the rest, within bounds.
    res.once('finish', () => {
      const limit = this.runtime.settings.max_body_bytes;
      lingerOnBody(req, LINGER_FACTOR * limit, LINGER_MS);
    });
    dispatch(this, path, req, res, ctx).catch((error: unknown) => this.fail(error, res, ctx));
  };

  /** The memory of one API request, charged to the budget and to its connection, released when its response closes. */
  requestMemory(req: IncomingMessage, res: ServerResponse): RequestMemory {
    const socket = req.socket;
    let share = this.shares.get(socket);
    if (!share) {
      share = new ConnectionShare(REQUEST_FACTOR * this.runtime.settings.max_body_bytes);
      this.shares.set(socket, share);
    }
    const memory = new RequestMemory(this.budget!, share);
    res.once('close', () => memory.release());
    return memory;
  }

  /** Whether the request carries AUTH_TOKEN (no rate limit taken): for what only the administrator may see. */
  isClient(req: IncomingMessage): boolean {
    return this.auth.check(TokenAuth.presented(req.headers));
  }

  /**
   * Who is asking: AUTH_TOKEN (compared in constant time) or a client key; 401 for anything else
   * or a revoked or expired key, 429 while the client is over server.rate_limit.
   */
  authorize(req: IncomingMessage, ctx: RequestContext): Principal {
    const token = TokenAuth.presented(req.headers);
    let client: Principal | GateRefusal | undefined;
    if (token !== undefined && this.auth.check(token)) client = ADMIN;
    else if (token !== undefined) client = this.gateway?.resolve(token);
    if (client === undefined) throw errors.unauthorized();
    if ('status' in client) throw errors.refused(client);
    ctx.client = client;
    if (this.limiter) {
      const wait = this.limiter.take(token!);
      if (wait > 0) throw errors.rateLimited(wait);
    }
    return client;
  }

  /** Only AUTH_TOKEN: what concerns every client (metrics with every key's spending). */
  authorizeAdmin(req: IncomingMessage, ctx: RequestContext): void {
    if (this.authorize(req, ctx).kind !== 'admin')
      throw new ProxyError(403, 'permission_error', `${ctx.path} needs AUTH_TOKEN, not a client key`, 'admin_only');
  }

  /** The one error handler: the error's response, and a log line for what no handler expected. */
  private fail(error: unknown, res: ServerResponse, ctx: RequestContext): void {
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
    const status = ctx.clientClosed || !res.writableFinished ? 499 : res.statusCode;
    recordRequest(ctx, status, this.metrics, this.logger, this.noise);
    // One ledger row per authenticated API request, refused ones included.
    if (this.gateway && ctx.client && API_PATHS[ctx.path] !== undefined)
      this.gateway.finish(ctx.client, finishedRequest(ctx, status));
  }
}

const DEFAULT_LEDGER = { enabled: true, retention_days: 90 };

function finishedRequest(ctx: RequestContext, status: number): FinishedRequest {
  const latencyMs = performance.now() - ctx.start;
  return {
    requestId: ctx.id,
    startedAt: Math.round(Date.now() - latencyMs),
    endpoint: ctx.path,
    route: ctx.route,
    provider: ctx.provider,
    model: ctx.upstreamModel,
    stream: ctx.stream,
    status,
    usage: ctx.usage,
    latencyMs,
    ttfbMs: ctx.ttfbMs,
    error: ctx.error,
    attempts: ctx.failedAttempts,
  };
}
