// The API endpoints: read and route the request, then walk the route's targets (retrying each
// with backoff) until one answers. Fallback happens only while nothing has reached the client.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { respondEcho } from '../providers/echo/respond.ts';
import type { ClientApi } from '../providers/types.ts';
import { ClientAbort, sleepUnlessAborted } from '../upstream/abort.ts';
import { attemptUpstream, ClientGone } from '../upstream/attempt.ts';
import { decideRetry } from '../upstream/retry.ts';
import { upstreamErrorInfo } from '../translate/response-json.ts';
import type { Usage } from '../translate/types.ts';
import { parseJsonObject, readBody } from '../http/body.ts';
import { errors, ProxyError, type ErrorType } from '../http/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { planRequest } from './plan.ts';
import { relayJson, relayStream } from './relay.ts';
import type { Runtime, RuntimeProvider } from './runtime.ts';

/** What one request did, for its log line and metrics. */
export interface RequestContext {
  id: string;
  start: number;
  method: string;
  path: string;
  /** The model the client asked for (logged); `route` is set only once it names a route. */
  model: string;
  route: string;
  provider: string;
  upstreamModel: string;
  retries: number;
  attempts: number;
  stream: boolean;
  usage: Usage | undefined;
  error: string | undefined;
  clientClosed: boolean;
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
    upstreamModel: '',
    retries: 0,
    attempts: 0,
    stream: false,
    usage: undefined,
    error: undefined,
    clientClosed: false,
  };
}

/**
 * The request log line's fields as JSON members, in a fixed order; only present fields.
 * Strings that come from clients or upstreams go through JSON.stringify (escaping).
 */
export function requestLogMembers(ctx: RequestContext, status: number, latencyMs: number): string {
  let m = `"request_id":${JSON.stringify(ctx.id)},"method":${JSON.stringify(ctx.method)},"path":${JSON.stringify(ctx.path)},"status":${status},"latency_ms":${latencyMs}`;
  if (ctx.model) m += `,"model":${JSON.stringify(ctx.model)}`;
  if (ctx.provider)
    m += `,"provider":${JSON.stringify(ctx.provider)},"upstream_model":${JSON.stringify(ctx.upstreamModel)}`;
  if (ctx.stream) m += ',"stream":true';
  if (ctx.attempts) m += `,"attempts":${ctx.attempts},"retries":${ctx.retries}`;
  if (ctx.usage)
    m += `,"prompt_tokens":${JSON.stringify(ctx.usage.prompt)},"completion_tokens":${JSON.stringify(ctx.usage.completion)}`;
  if (ctx.error) m += `,"error":${JSON.stringify(ctx.error)}`;
  return m;
}

export interface ProxyDeps {
  runtime: Runtime;
  metrics: Metrics;
  logger: Logger;
}

const UPSTREAM_ERROR_TYPES: Record<number, ErrorType> = {
  400: 'invalid_request_error',
  413: 'request_too_large',
  422: 'invalid_request_error',
};

function recordFailure(p: RuntimeProvider, message: string, deps: ProxyDeps, reason: string): void {
  p.state.consecutiveFailures++;
  p.state.lastError = deps.logger.scrub(message);
  p.state.lastErrorAt = Date.now();
  deps.metrics.upstreamErrors.inc(`provider="${p.name}",kind="${reason}"`);
}

function recordSuccess(p: RuntimeProvider): void {
  p.state.consecutiveFailures = 0;
  p.state.lastSuccessAt = Date.now();
}

export async function handleApi(
  api: ClientApi,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  deps: ProxyDeps,
): Promise<void> {
  const rt = deps.runtime;
  const raw = await readBody(req, rt.settings.max_body_bytes);
  const body = parseJsonObject(raw);
  const model = body.model;
  if (typeof model !== 'string' || model === '')
    throw errors.badRequest('"model" is required (GET /v1/models lists the available ones)', 'missing_model');
  ctx.model = model;
  ctx.stream = body.stream === true;
  const targets = rt.routes.get(model);
  if (!targets) throw errors.unknownModel(model);
  // Only configured names become metric labels, so clients cannot grow the label set.
  ctx.route = model;

  const abort = new ClientAbort();
  res.once('close', () => {
    if (!res.writableFinished) {
      ctx.clientClosed = true;
      abort.abort();
    }
  });

  let lastError: ProxyError | undefined;
  let tried = 0;
  for (const target of targets) {
    const p = target.provider;
    if (p.unusable) {
      lastError ??= new ProxyError(
        503,
        'api_error',
        `provider ${p.name} is disabled: ${p.unusable}`,
        'provider_disabled',
      );
      continue;
    }
    const echo = p.adapter.wire === 'echo' && p.adapter.native.has(api);
    const plan = echo ? undefined : planRequest(api, target, body, raw, req.headers, rt.settings.default_max_tokens);
    if (!plan && !echo) {
      lastError ??= errors.badRequest(
        `model "${model}" is served by ${p.type} provider ${p.name}, which does not support ${ctx.path}`,
        'unsupported_endpoint',
      );
      continue;
    }
    if (tried++ > 0) deps.metrics.fallbacks.inc(`route="${model}"`);
    ctx.provider = p.name;
    ctx.upstreamModel = target.model;
    if (!plan) {
      const u = respondEcho(api, body, target.model, res);
      ctx.usage = { prompt: u.prompt, completion: u.completion };
      return;
    }
    for (let attempt = 1; ; attempt++) {
      ctx.attempts++;
      const t0 = performance.now();
      let result;
      try {
        result = await attemptUpstream(p, plan, abort);
      } catch (error) {
        if (error instanceof ClientGone) return;
        throw error;
      }
      if (result.kind !== 'failed')
        deps.metrics.ttfb.observe(
          `provider="${p.name}"`,
          ((result.kind === 'ok' ? result.answer.headersAt : result.headersAt) - t0) / 1000,
        );
      let retryAfter: number | undefined;
      let retryable = true;
      if (result.kind === 'ok') {
        const { answer } = result;
        const relayed = answer.stream
          ? await relayStream(res, answer.stream, plan, p.name, abort, {
              slowClientMs: rt.settings.body_timeout * 1000,
              onCommit: () => {
                deps.metrics.activeStreams.inc();
                res.once('close', () => deps.metrics.activeStreams.dec());
              },
            })
          : relayJson(res, answer, plan, p.name);
        if (relayed.ok) {
          if (relayed.reason && relayed.error) recordFailure(p, relayed.error, deps, relayed.reason);
          else recordSuccess(p);
          ctx.usage = relayed.usage;
          if (relayed.error) ctx.error = relayed.error;
          if (relayed.usage) {
            deps.metrics.tokens.inc(`provider="${p.name}",model="${target.model}",kind="prompt"`, relayed.usage.prompt);
            deps.metrics.tokens.inc(
              `provider="${p.name}",model="${target.model}",kind="completion"`,
              relayed.usage.completion,
            );
          }
          return;
        }
        lastError = relayed.error;
        recordFailure(p, relayed.error.message, deps, relayed.reason);
      } else if (result.kind === 'client-error') {
        // The request itself is wrong; another provider would say the same.
        recordSuccess(p);
        const info = upstreamErrorInfo(result.body);
        throw new ProxyError(
          result.status,
          UPSTREAM_ERROR_TYPES[result.status] ?? (info.type as ErrorType) ?? 'invalid_request_error',
          deps.logger.scrub(info.message),
          info.code ?? 'upstream_rejected_request',
        );
      } else {
        lastError = result.error;
        retryAfter = result.retryAfterMs;
        retryable = result.retryable;
        recordFailure(p, result.error.message, deps, result.reason);
      }
      if (ctx.clientClosed) return;
      if (!retryable) break;
      const d = decideRetry(
        attempt,
        p.maxRetries,
        retryAfter,
        rt.settings.retry_base_delay * 1000,
        rt.settings.retry_max_delay * 1000,
      );
      if (!d.retry) break;
      ctx.retries++;
      deps.metrics.retries.inc(`provider="${p.name}"`);
      if (!(await sleepUnlessAborted(d.delayMs, abort))) return;
    }
  }
  throw lastError ?? errors.unknownModel(model);
}
