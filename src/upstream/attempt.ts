// One upstream HTTP attempt, classified: an answer to relay, a client error to pass back, or a
// failure with whether it is worth retrying and how long the upstream asked us to wait.
import type { ClientAbort } from './abort.ts';
import {
  type AnswerLimits,
  DEFAULT_MAX_RESPONSE_BYTES,
  exchange,
  MAX_ERROR_BODY,
  type UpstreamAnswer,
  UpstreamAnswerTooLarge,
  type UpstreamCall,
} from './exchange.ts';
import { ProxyError } from '../http/errors.ts';
import type { RuntimeProvider } from '../proxy/runtime.ts';
import { upstreamErrorInfo } from '../translate/response-json.ts';
import { isProviderFault, isRetryableStatus, retryAfterMs } from './retry.ts';

export type Attempt =
  | { kind: 'ok'; answer: UpstreamAnswer }
  | { kind: 'client-error'; status: number; body: string; contentType: string; headersAt: number }
  | { kind: 'failed'; error: ProxyError; retryable: boolean; retryAfterMs: number | undefined; reason: string };

export class ClientGone extends Error {}

/** Maps a network-level failure to a reason label and the status the client will see. */
export function classifyNetworkError(error: unknown, provider: string): { reason: string; error: ProxyError } {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return {
      reason: 'timeout',
      error: new ProxyError(504, 'timeout_error', `upstream ${provider} did not answer in time`, 'upstream_timeout'),
    };
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return {
      reason: 'connect',
      error: new ProxyError(
        502,
        'api_error',
        `could not connect to upstream ${provider} (connect timeout)`,
        'upstream_unreachable',
      ),
    };
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH'
  ) {
    return {
      reason: 'connect',
      error: new ProxyError(
        502,
        'api_error',
        `could not connect to upstream ${provider} (${code})`,
        'upstream_unreachable',
      ),
    };
  }
  return {
    reason: 'reset',
    error: new ProxyError(
      502,
      'api_error',
      `connection to upstream ${provider} failed (${code || (error as Error).message})`,
      'upstream_connection_error',
    ),
  };
}

/** An answer over its cap or beyond the memory budget: not worth retrying, said plainly. */
function tooLarge(error: UpstreamAnswerTooLarge, provider: string): Attempt {
  const err =
    error.kind === 'over_cap'
      ? new ProxyError(
          502,
          'api_error',
          `upstream ${provider} sent an answer over ${error.limit} bytes (server.max_response_bytes); it was not relayed`,
          'upstream_answer_too_large',
        )
      : new ProxyError(
          503,
          'overloaded_error',
          `the proxy has no memory left to hold the answer of upstream ${provider} (server.memory_budget_bytes); retry later`,
          'proxy_busy',
          { 'retry-after': '1' },
        );
  return { kind: 'failed', error: err, retryable: false, retryAfterMs: undefined, reason: 'answer_too_large' };
}

export async function attemptUpstream(
  p: RuntimeProvider,
  call: UpstreamCall,
  signal: ClientAbort,
  limits: AnswerLimits = { maxBytes: DEFAULT_MAX_RESPONSE_BYTES },
): Promise<Attempt> {
  let answer: UpstreamAnswer;
  try {
    answer = await exchange(p.pool!, call, p.timeoutMs, signal, limits);
  } catch (error) {
    if (signal.aborted) throw new ClientGone();
    if (error instanceof UpstreamAnswerTooLarge) return tooLarge(error, p.name);
    const c = classifyNetworkError(error, p.name);
    return { kind: 'failed', error: c.error, retryable: true, retryAfterMs: undefined, reason: c.reason };
  }
  const status = answer.statusCode;
  if (status >= 200 && status < 300) return { kind: 'ok', answer };
  const text = answer.body!.toString('utf8', 0, MAX_ERROR_BODY);
  const info = upstreamErrorInfo(text);
  if (isRetryableStatus(status)) {
    const wait = retryAfterMs(answer.headers);
    const err =
      status === 429
        ? new ProxyError(
            429,
            'rate_limit_error',
            `upstream ${p.name} is rate limiting: ${info.message}`,
            'upstream_rate_limited',
            wait === undefined ? undefined : { 'retry-after': String(Math.ceil(wait / 1000)) },
          )
        : new ProxyError(
            502,
            status === 529 ? 'overloaded_error' : 'api_error',
            `upstream ${p.name} failed with HTTP ${status}: ${info.message}`,
            'upstream_error',
          );
    return { kind: 'failed', error: err, retryable: true, retryAfterMs: wait, reason: `http_${status}` };
  }
  if (isProviderFault(status)) {
    // The proxy's own key or model name is wrong: the client's request may work on the next target.
    const what =
      status === 404
        ? `does not know this model or path (HTTP 404): ${info.message}`
        : `rejected the proxy's API key (HTTP ${status}); check the provider's api_key`;
    return {
      kind: 'failed',
      error: new ProxyError(502, 'api_error', `upstream ${p.name} ${what}`, 'upstream_rejected'),
      retryable: false,
      retryAfterMs: undefined,
      reason: `http_${status}`,
    };
  }
  const ct = answer.headers['content-type'];
  return {
    kind: 'client-error',
    status,
    body: text,
    contentType: (Array.isArray(ct) ? ct[0] : ct) ?? 'application/json',
    headersAt: answer.headersAt,
  };
}
