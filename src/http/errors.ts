// The one error type of the HTTP layer and the one place that turns it into a response.
// Handlers throw ProxyError; sendError writes {"error":{"message","type","code"}} (plus the
// top-level "type":"error" Anthropic clients expect, so both SDKs read the same body).
import type { ServerResponse } from 'node:http';
import type { GateRefusal } from '../gateway/refusals.ts';
import { clip } from '../limits/clip.ts';
import { MAX_ERROR_MESSAGE, MAX_LOG_FIELD, PARSE_FACTOR } from '../limits/model.ts';

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error'
  | 'timeout_error';

export class ProxyError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly code: string | null = null,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

function errorBody(type: string, message: string, code: string | null): string {
  return JSON.stringify({ type: 'error', error: { message, type, code } });
}

/** Turns any thrown value into a response; unknown errors become a 500 without internals. */
export function sendError(res: ServerResponse, error: unknown, scrub: (text: string) => string = (t) => t): ProxyError {
  const err =
    error instanceof ProxyError
      ? error
      : new ProxyError(500, 'api_error', 'internal error in the proxy (see its logs)', 'internal_error');
  if (res.headersSent) {
    // Too late for a status code: the caller reports it in-band or closes the stream.
    if (!res.writableEnded) res.end();
    return err;
  }
  const body = errorBody(err.type, clip(scrub(err.message), MAX_ERROR_MESSAGE), err.code);
  res.statusCode = err.status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.end(body);
  return err;
}

const mib = (bytes: number) => Math.ceil(bytes / (1024 * 1024));

export const errors = {
  unauthorized: () =>
    new ProxyError(
      401,
      'authentication_error',
      'missing or invalid API key (send "Authorization: Bearer <AUTH_TOKEN>" or "x-api-key")',
      'invalid_api_key',
    ),
  notFound: (path: string) =>
    new ProxyError(404, 'not_found_error', `no such endpoint: ${clip(path, MAX_LOG_FIELD)}`, 'unknown_url'),
  methodNotAllowed: (method: string, path: string) =>
    new ProxyError(
      405,
      'invalid_request_error',
      `${clip(method, MAX_LOG_FIELD)} is not allowed on ${clip(path, MAX_LOG_FIELD)}`,
      'method_not_allowed',
    ),
  tooLarge: (limit: number) =>
    new ProxyError(
      413,
      'request_too_large',
      `request body exceeds the limit of ${limit} bytes (server.max_body_bytes)`,
      'request_too_large',
    ),
  badJson: (detail: string) =>
    new ProxyError(
      400,
      'invalid_request_error',
      `request body is not valid JSON: ${clip(detail, MAX_LOG_FIELD)}`,
      'invalid_json',
    ),
  jsonTooDeep: (max: number) =>
    new ProxyError(400, 'invalid_request_error', `request body is nested deeper than ${max} levels`, 'json_too_deep'),
  jsonTooComplex: (estimate: number, limit: number) =>
    new ProxyError(
      413,
      'request_too_large',
      `request body has too many JSON values: parsed it would take about ${mib(estimate)} MiB, over the limit of ${mib(limit)} MiB (${PARSE_FACTOR} x server.max_body_bytes)`,
      'request_too_large',
    ),
  /** The memory budget has no room for this request now: a client may retry soon. */
  busy: () =>
    new ProxyError(
      503,
      'overloaded_error',
      'the proxy is holding as much request data as its memory allows (server.memory_budget_bytes); retry in a moment',
      'proxy_busy',
      { 'retry-after': '1' },
    ),
  /** One connection has as much in progress as one request may hold (HTTP/1.1 pipelining). */
  connectionBusy: () =>
    new ProxyError(
      429,
      'rate_limit_error',
      'this connection already has as much request data in progress as one request may hold; wait for its answers or use another connection',
      'connection_busy',
      { 'retry-after': '1' },
    ),
  badRequest: (message: string, code = 'invalid_request') =>
    new ProxyError(400, 'invalid_request_error', message, code),
  unknownModel: (model: string) =>
    new ProxyError(
      404,
      'not_found_error',
      `model "${clip(model, MAX_LOG_FIELD)}" is not configured (GET /v1/models lists the available ones)`,
      'model_not_found',
    ),
  rateLimited: (retryAfter: number) =>
    new ProxyError(429, 'rate_limit_error', `rate limit exceeded; retry after ${retryAfter} s`, 'rate_limit_exceeded', {
      'retry-after': String(retryAfter),
    }),
  /** A client key turned away (revoked, a model it may not use, a limit): the gateway's answer. */
  refused: (r: GateRefusal) => new ProxyError(r.status, r.type, r.message, r.code, r.headers),
};
