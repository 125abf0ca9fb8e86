// One target of a route: attempts with backoff until an answer reaches the client, the request
// itself turns out wrong (thrown to the client as is), or the target gives up (its last error
// goes back to handle-api.ts, which moves on to the next target).
import type { ServerResponse } from 'node:http';
import { type ClientAbort, sleepUnlessAborted } from '../upstream/abort.ts';
import { type Attempt, attemptUpstream, ClientGone } from '../upstream/attempt.ts';
import type { UpstreamStream } from '../upstream/exchange.ts';
import { decideRetry } from '../upstream/retry.ts';
import { TranslateError } from '../translate/errors.ts';
import { upstreamErrorInfo } from '../translate/response-json.ts';
import { type ErrorType, ProxyError } from '../http/errors.ts';
import { MAX_ATTEMPTS_KEPT } from '../ledger/row.ts';
import { failureKindLabel } from '../observability/labels.ts';
import type { RequestContext } from '../observability/request-record.ts';
import type { ProxyDeps } from './handle-api.ts';
import { type Plan, planRefusal } from './plan.ts';
import { type RelayResult, relayJson } from './relay.ts';
import { relayStream } from './relay-stream.ts';
import type { RuntimeProvider, RuntimeTarget } from './runtime.ts';

const UPSTREAM_ERROR_TYPES: Record<number, ErrorType> = {
  400: 'invalid_request_error',
  413: 'request_too_large',
  422: 'invalid_request_error',
};

/** A failed attempt: what the client would see, and whether and when another attempt may follow. */
interface Failure {
  error: ProxyError;
  retryable: boolean;
  retryAfterMs: number | undefined;
}

/**
 * Attempts the target until it answers or gives up. Undefined once the request is over (answered,
 * or the client left); else the error that ended this target, for the fallback to the next one.
 */
export async function tryTarget(
  target: RuntimeTarget,
  plan: Plan,
  res: ServerResponse,
  ctx: RequestContext,
  abort: ClientAbort,
  deps: ProxyDeps,
): Promise<ProxyError | undefined> {
  const p = target.provider;
  let current = plan;
  let probed = false;
  for (let attempt = 1; ; attempt++) {
    const startedAt = performance.now();
    const result = await attemptOnce(p, current, ctx, abort, deps);
    if (result === undefined) return undefined;
    if (current.ifUnsupported && endpointMissing(result)) {
      // Not a failure of the provider: it serves the request another way. Asked again at once.
      current = fallbackPlan(current.ifUnsupported);
      probed = true;
      attempt--;
      continue;
    }
    let failure: Failure;
    if (result.kind === 'ok') {
      const { answer } = result;
      const relayed = answer.stream
        ? await relayStreamAnswer(answer.stream, p, current, res, ctx, abort, deps)
        : relayJson(res, answer, current, p.name);
      if (relayed.ok) {
        if (probed) rememberChatOnly(p, deps);
        recordRelayed(target, relayed, ctx, deps);
        return undefined;
      }
      // The buffered answer that could not be relayed is dropped: so is its charge.
      deps.memory.answers.shrink(answer.body?.length ?? 0);
      failure = { error: relayed.error, retryable: relayed.retryable ?? true, retryAfterMs: undefined };
      recordFailure(p, relayed.error.message, deps, relayed.reason);
    } else if (result.kind === 'client-error') {
      // The request itself is wrong; another provider would say the same.
      recordSuccess(p);
      throw upstreamRejection(result, deps);
    } else {
      failure = result;
      recordFailure(p, result.error.message, deps, result.reason);
    }
    noteFailedAttempt(ctx, target, failure.error, performance.now() - startedAt, deps);
    if (ctx.clientClosed) return undefined;
    const delayMs = retryDelay(attempt, p, failure, deps);
    if (delayMs === undefined) return failure.error;
    ctx.retries++;
    deps.metrics.retries.inc(p.label);
    if (!(await sleepUnlessAborted(delayMs, abort))) return undefined;
  }
}

/** The upstream has no such endpoint: 404, or 405 from servers that route by path first. */
function endpointMissing(result: Attempt): boolean {
  return (
    (result.kind === 'failed' && result.reason === 'http_404') ||
    (result.kind === 'client-error' && result.status === 405)
  );
}

function fallbackPlan(make: () => Plan): Plan {
  try {
    return make();
  } catch (error) {
    throw error instanceof TranslateError ? planRefusal(error) : error;
  }
}

/**
 * The provider answered a Responses request with 404/405 and the same request as a chat
 * completion worked: from now on it gets chat completions (until a restart, or a reload that
 * changes its type or base URL: compileRuntime keeps the state otherwise). A 404 whose chat
 * retry also failed (an unknown model) is not remembered.
 */
function rememberChatOnly(p: RuntimeProvider, deps: ProxyDeps): void {
  if (p.state.responsesUnsupported) return;
  p.state.responsesUnsupported = true;
  deps.logger.warn('provider has no Responses API: translating /v1/responses to chat completions from now on', {
    provider: p.name,
  });
}

/** One upstream attempt, counted and timed to its headers; undefined when the client left. */
async function attemptOnce(
  p: RuntimeProvider,
  plan: Plan,
  ctx: RequestContext,
  abort: ClientAbort,
  deps: ProxyDeps,
): Promise<Attempt | undefined> {
  ctx.attempts++;
  const t0 = performance.now();
  let result: Attempt;
  try {
    const limits = { maxBytes: deps.runtime.settings.max_response_bytes, memory: deps.memory.answers };
    result = await attemptUpstream(p, plan, abort, limits);
  } catch (error) {
    if (error instanceof ClientGone) return undefined;
    throw error;
  }
  if (result.kind !== 'failed') {
    const headersAt = result.kind === 'ok' ? result.answer.headersAt : result.headersAt;
    deps.metrics.ttfb.observe(p.label, (headersAt - t0) / 1000);
    ctx.ttfbMs = headersAt - ctx.start;
  }
  return result;
}

/** Relays an SSE answer; the stream gauge counts it from its first byte to its close. */
function relayStreamAnswer(
  stream: UpstreamStream,
  p: RuntimeProvider,
  plan: Plan,
  res: ServerResponse,
  ctx: RequestContext,
  abort: ClientAbort,
  deps: ProxyDeps,
): Promise<RelayResult> {
  return relayStream(res, stream, plan, p.name, abort, {
    maxEventBytes: deps.runtime.settings.max_event_bytes,
    memory: deps.memory.answers,
    maxHeldBytes: deps.runtime.settings.max_response_bytes,
    // The log line is written on close, which may come before the await below resumes.
    onSettled: (result) => {
      if (!result.ok) return;
      ctx.usage = result.usage;
      if (result.error) ctx.error = result.error;
    },
    onCommit: () => {
      deps.metrics.activeStreams.inc();
      res.once('close', () => deps.metrics.activeStreams.dec());
    },
  });
}

/** The answer reached the client: the provider's health, the request's usage and token counts. */
function recordRelayed(
  target: RuntimeTarget,
  relayed: Extract<RelayResult, { ok: true }>,
  ctx: RequestContext,
  deps: ProxyDeps,
): void {
  const p = target.provider;
  if (relayed.reason && relayed.error) recordFailure(p, relayed.error, deps, relayed.reason);
  else recordSuccess(p);
  ctx.usage = relayed.usage;
  if (relayed.error) ctx.error = relayed.error;
  if (relayed.usage) {
    deps.metrics.tokens.inc(target.tokenLabels.prompt, relayed.usage.prompt);
    deps.metrics.tokens.inc(target.tokenLabels.completion, relayed.usage.completion);
  }
}

/** The upstream's 4xx about the request itself, passed on with its own message and code. */
function upstreamRejection(result: Extract<Attempt, { kind: 'client-error' }>, deps: ProxyDeps): ProxyError {
  const info = upstreamErrorInfo(result.body);
  return new ProxyError(
    result.status,
    UPSTREAM_ERROR_TYPES[result.status] ?? (info.type as ErrorType) ?? 'invalid_request_error',
    deps.logger.scrub(info.message),
    info.code ?? 'upstream_rejected_request',
  );
}

/** The wait before the next attempt on this target, or undefined to move on to the next target. */
function retryDelay(attempt: number, p: RuntimeProvider, failure: Failure, deps: ProxyDeps): number | undefined {
  if (!failure.retryable) return undefined;
  const s = deps.runtime.settings;
  const d = decideRetry(
    attempt,
    p.maxRetries,
    failure.retryAfterMs,
    s.retry_base_delay * 1000,
    s.retry_max_delay * 1000,
  );
  return d.retry ? d.delayMs : undefined;
}

function recordFailure(p: RuntimeProvider, message: string, deps: ProxyDeps, reason: string): void {
  p.state.consecutiveFailures++;
  p.state.lastError = deps.logger.scrub(message);
  p.state.lastErrorAt = Date.now();
  deps.metrics.upstreamErrors.inc(`${p.label},${failureKindLabel(reason)}`);
}

/** The request's trail of failed attempts, for its ledger row (allocated on the first failure only). */
function noteFailedAttempt(
  ctx: RequestContext,
  target: RuntimeTarget,
  error: ProxyError,
  ms: number,
  deps: ProxyDeps,
): void {
  const trail = (ctx.failedAttempts ??= []);
  if (trail.length >= MAX_ATTEMPTS_KEPT) return;
  trail.push({
    provider: target.provider.name,
    model: target.model,
    status: error.status,
    error: deps.logger.scrub(error.message).slice(0, 300),
    ms: Math.round(ms),
  });
}

function recordSuccess(p: RuntimeProvider): void {
  p.state.consecutiveFailures = 0;
  p.state.lastSuccessAt = Date.now();
}
