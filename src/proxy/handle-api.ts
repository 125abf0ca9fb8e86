// The API endpoints: read and route the request, then walk the route's targets (each tried with
// retries by try-target.ts) until one answers. Fallback happens only while nothing has reached
// the client.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { respondEcho } from '../providers/echo/respond.ts';
import type { ClientApi } from '../providers/types.ts';
import type { RequestMemory } from '../limits/budget.ts';
import { ClientAbort } from '../upstream/abort.ts';
import { parseJsonObject, readBody } from '../http/body.ts';
import { errors, ProxyError } from '../http/errors.ts';
import type { Gateway, Principal } from '../gateway/gateway.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { UNKNOWN_ROUTE } from '../observability/labels.ts';
import type { RequestContext } from '../observability/request-record.ts';
import { type Plan, planRequest } from './plan.ts';
import type { Runtime, RuntimeTarget } from './runtime.ts';
import { tryTarget } from './try-target.ts';

export interface ProxyDeps {
  runtime: Runtime;
  metrics: Metrics;
  logger: Logger;
  /** Client keys' model lists and limits; undefined when no store is configured. */
  gateway?: Gateway | undefined;
  /** This request's share of the memory budget, released when its response closes. */
  memory: RequestMemory;
}

/** A client request read, parsed and matched to its route. */
interface ApiRequest {
  api: ClientApi;
  raw: Buffer;
  body: Record<string, unknown>;
  model: string;
  targets: RuntimeTarget[];
  headers: IncomingHttpHeaders;
}

/** How one target serves the request: a plan to send upstream, the built-in echo, or not at all. */
type TargetChoice = { plan: Plan } | { echo: true } | { skip: ProxyError };

export async function handleApi(
  api: ClientApi,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  deps: ProxyDeps,
): Promise<void> {
  const request = await readApiRequest(api, req, deps, ctx);
  if (deps.gateway && ctx.client) await admitClient(deps.gateway, ctx.client, request);
  const abort = abortOnClientClose(res, ctx);
  let lastError: ProxyError | undefined;
  let tried = 0;
  for (const target of request.targets) {
    const choice = chooseTarget(request, target, ctx, deps.runtime);
    if ('skip' in choice) {
      lastError ??= choice.skip;
      continue;
    }
    if (tried++ > 0) deps.metrics.fallbacks.inc(target.routeLabel);
    ctx.provider = target.provider.name;
    ctx.providerLabel = target.provider.label;
    ctx.upstreamModel = target.model;
    if ('echo' in choice) {
      const u = await respondEcho(api, request.body, target.model, res);
      ctx.usage = { prompt: u.prompt, completion: u.completion };
      return;
    }
    const failure = await tryTarget(target, choice.plan, res, ctx, abort, deps);
    if (failure === undefined) return;
    lastError = failure;
  }
  throw lastError ?? errors.unknownModel(request.model);
}

/** Reads the body and finds the route of its "model"; 400, 404, 413, 429 or 503 when that fails. */
async function readApiRequest(
  api: ClientApi,
  req: IncomingMessage,
  deps: ProxyDeps,
  ctx: RequestContext,
): Promise<ApiRequest> {
  const rt = deps.runtime;
  const limit = rt.settings.max_body_bytes;
  const raw = await readBody(req, limit, deps.memory.body);
  const body = parseJsonObject(raw, limit, deps.memory.body);
  const model = body.model;
  if (typeof model !== 'string' || model === '')
    throw errors.badRequest('"model" is required (GET /v1/models lists the available ones)', 'missing_model');
  ctx.model = model;
  ctx.stream = body.stream === true;
  const targets = rt.routes.get(model);
  if (!targets) {
    ctx.routeLabel = UNKNOWN_ROUTE;
    throw errors.unknownModel(model);
  }
  // Only configured names become metric labels, so clients cannot grow the label set.
  ctx.route = model;
  ctx.routeLabel = targets[0]!.routeLabel;
  return { api, raw, body, model, targets, headers: req.headers };
}

/** A client key's model list, then its limits (a model it may not use does not count against them). */
async function admitClient(gateway: Gateway, client: Principal, request: ApiRequest): Promise<void> {
  const denied = gateway.checkModel(
    client,
    request.model,
    request.targets.map((t) => ({ provider: t.provider.name, model: t.model })),
  );
  if (denied) throw errors.refused(denied);
  const limited = await gateway.admit(client);
  if (limited) throw errors.refused(limited);
}

/** Cancels the upstream side when the client leaves before its answer is complete. */
function abortOnClientClose(res: ServerResponse, ctx: RequestContext): ClientAbort {
  const abort = new ClientAbort();
  res.once('close', () => {
    if (!res.writableFinished) {
      ctx.clientClosed = true;
      abort.abort();
    }
  });
  return abort;
}

function chooseTarget(request: ApiRequest, target: RuntimeTarget, ctx: RequestContext, rt: Runtime): TargetChoice {
  const p = target.provider;
  if (p.unusable)
    return {
      skip: new ProxyError(503, 'api_error', `provider ${p.name} is disabled: ${p.unusable}`, 'provider_disabled'),
    };
  if (p.adapter.wire === 'echo' && p.adapter.native.has(request.api)) return { echo: true };
  const { api, body, raw, headers } = request;
  const plan = planRequest(api, target, body, raw, headers, rt.settings.default_max_tokens);
  if (plan) return { plan };
  return {
    skip: errors.badRequest(
      `model "${request.model}" is served by ${p.type} provider ${p.name}, which does not support ${ctx.path}`,
      'unsupported_endpoint',
    ),
  };
}
