// The one error type of the HTTP layer and the one place that turns it into a response.
// Handlers throw ProxyError; sendError writes {"error":{"message","type","code"}} (plus the
// top-level "type":"error" Anthropic clients expect, so both SDKs read the same body).
import type { ServerResponse } from 'node:http';
import type { GateRefusal } from '../gateway/refusals.ts';

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
  const body = errorBody(err.type, scrub(err.message), err.code);
  res.statusCode = err.status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.end(body);
  return err;
}

export const errors = {
  unauthorized: () =>
    new ProxyError(
      401,
      'authentication_error',
      'missing or invalid API key (send "Authorization: Bearer <AUTH_TOKEN>" or "x-api-key")',
      'invalid_api_key',
    ),
  notFound: (path: string) => new ProxyError(404, 'not_found_error', `no such endpoint: ${path}`, 'unknown_url'),
  methodNotAllowed: (method: string, path: string) =>
    new ProxyError(405, 'invalid_request_error', `${method} is not allowed on ${path}`, 'method_not_allowed'),
  tooLarge: (limit: number) =>
    new ProxyError(
      413,
      'request_too_large',
      `request body exceeds the limit of ${limit} bytes (server.max_body_bytes)`,
      'request_too_large',
    ),
  badJson: (detail: string) =>
    new ProxyError(400, 'invalid_request_error', `request body is not valid JSON: ${detail}`, 'invalid_json'),
  badRequest: (message: string, code = 'invalid_request') =>
    new ProxyError(400, 'invalid_request_error', message, code),
  unknownModel: (model: string) =>
    new ProxyError(
      404,
      'not_found_error',
      `model "${model}" is not configured (GET /v1/models lists the available ones)`,
      'model_not_found',
    ),
  rateLimited: (retryAfter: number) =>
    new ProxyError(429, 'rate_limit_error', `rate limit exceeded; retry after ${retryAfter} s`, 'rate_limit_exceeded', {
      'retry-after': String(retryAfter),
    }),
  /** A client key turned away (revoked, a model it may not use, a limit): the gateway's answer. */
  refused: (r: GateRefusal) => new ProxyError(r.status, r.type, r.message, r.code, r.headers),
};
