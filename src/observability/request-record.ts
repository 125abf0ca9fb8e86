// What one request did, filled in as it goes (src/http/ creates it, src/proxy/ adds the model,
// provider, attempts and usage), and what it leaves behind: one log line and the request metrics.
import type { Principal } from '../gateway/gateway.ts';
import type { FailedAttempt } from '../ledger/row.ts';
import { clip } from '../limits/clip.ts';
import { MAX_ERROR_MESSAGE, MAX_LOG_FIELD } from '../limits/model.ts';
import type { Usage } from '../translate/types.ts';
import { endpointLabel, NO_PROVIDER, NO_ROUTE, statusLabel } from './labels.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { isNoise, type NoiseSummary } from './noise.ts';

export interface RequestContext {
  id: string;
  start: number;
  method: string;
  path: string;
  /** The model the client asked for (logged); `route` is set only once it names a route. */
  model: string;
  route: string;
  provider: string;
  /** route="..." and provider="..." of the metrics, rendered with the runtime (labels.ts). */
  routeLabel: string;
  providerLabel: string;
  upstreamModel: string;
  retries: number;
  attempts: number;
  stream: boolean;
  usage: Usage | undefined;
  /** ms from the request's arrival to the response headers of the upstream attempt that answered. */
  ttfbMs: number | undefined;
  error: string | undefined;
  /** Upstream attempts that failed (retries, fallbacks); undefined until one does. */
  failedAttempts: FailedAttempt[] | undefined;
  clientClosed: boolean;
  /** Who made the request (AUTH_TOKEN or a client key), once authenticated. */
  client: Principal | undefined;
}

/** A request's context before anything about its model or provider is known. */
export function newRequestContext(id: string, method: string, path: string, start: number): RequestContext {
  return {
    id,
    start,
    method,
    path,
    model: '',
    route: '',
    provider: '',
    routeLabel: NO_ROUTE,
    providerLabel: NO_PROVIDER,
    upstreamModel: '',
    retries: 0,
    attempts: 0,
    stream: false,
    usage: undefined,
    ttfbMs: undefined,
    error: undefined,
    failedAttempts: undefined,
    clientClosed: false,
    client: undefined,
  };
}

/**
 * The request log line's fields as JSON members, in a fixed order; only present fields.
 * Strings that come from clients or upstreams are cut (clip) and go through JSON.stringify (escaping).
 */
export function requestLogMembers(ctx: RequestContext, status: number, latencyMs: number): string {
  const method = JSON.stringify(clip(ctx.method, 16));
  const path = JSON.stringify(clip(ctx.path, MAX_LOG_FIELD));
  let m = `"request_id":${JSON.stringify(ctx.id)},"method":${method},"path":${path},"status":${status},"latency_ms":${latencyMs}`;
  if (ctx.client?.kind === 'key') m += `,"key":${JSON.stringify(ctx.client.name)}`;
  if (ctx.model) m += `,"model":${JSON.stringify(clip(ctx.model, MAX_LOG_FIELD))}`;
  if (ctx.provider)
    m += `,"provider":${JSON.stringify(ctx.provider)},"upstream_model":${JSON.stringify(ctx.upstreamModel)}`;
  if (ctx.stream) m += ',"stream":true';
  if (ctx.attempts) m += `,"attempts":${ctx.attempts},"retries":${ctx.retries}`;
  if (ctx.usage)
    m += `,"prompt_tokens":${JSON.stringify(ctx.usage.prompt)},"completion_tokens":${JSON.stringify(ctx.usage.completion)}`;
  if (ctx.usage?.cached) m += `,"cached_tokens":${JSON.stringify(ctx.usage.cached)}`;
  if (ctx.usage?.reasoning) m += `,"reasoning_tokens":${JSON.stringify(ctx.usage.reasoning)}`;
  if (ctx.error) m += `,"error":${JSON.stringify(clip(ctx.error, MAX_ERROR_MESSAGE))}`;
  return m;
}

/**
 * Counts the finished request, times it and writes its log line; `status` is what the client got.
 * At info level, unauthenticated noise goes to the per-second summary instead (debug logs each).
 */
export function recordRequest(
  ctx: RequestContext,
  status: number,
  metrics: Metrics,
  logger: Logger,
  noise: NoiseSummary,
): void {
  const seconds = (performance.now() - ctx.start) / 1000;
  const endpoint = endpointLabel(ctx.path);
  metrics.requests.inc(`${endpoint},${ctx.routeLabel},${ctx.providerLabel},${statusLabel(status)}`);
  if (ctx.provider) metrics.duration.observe(`${endpoint},${ctx.providerLabel}`, seconds);
  // Probes (Docker every few seconds, Prometheus) would drown the real traffic at info level.
  const level = ctx.path.startsWith('/v1/') ? 'info' : 'debug';
  if (!logger.enabled(level)) return;
  if (!logger.enabled('debug') && isNoise(status, ctx.model)) return noise.add(status, ctx.path);
  logger.members(level, 'request', requestLogMembers(ctx, status, Math.round(seconds * 10000) / 10));
}
