// Why the gateway turns a request away, in the shape both SDKs expect: the status, the error
// type and code of the OpenAI/Anthropic error body, and headers. The HTTP layer turns one into
// its ProxyError; nothing here writes a response.
import type { Refusal } from '../quota/limiter.ts';

export interface GateRefusal {
  status: 401 | 403 | 429;
  type: 'authentication_error' | 'permission_error' | 'rate_limit_error';
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export const refusals = {
  revoked: (name: string): GateRefusal => ({
    status: 401,
    type: 'authentication_error',
    code: 'key_revoked',
    message: `API key "${name}" has been revoked`,
  }),
  expired: (name: string, at: number): GateRefusal => ({
    status: 401,
    type: 'authentication_error',
    code: 'key_expired',
    message: `API key "${name}" expired at ${new Date(at).toISOString()}`,
  }),
  model: (name: string, model: string): GateRefusal => ({
    status: 403,
    type: 'permission_error',
    code: 'model_not_allowed',
    message: `API key "${name}" may not use model "${model}" (GET /v1/models lists the models it may use)`,
  }),
  unpriced: (name: string, model: string, upstream: string): GateRefusal => ({
    status: 403,
    type: 'permission_error',
    code: 'model_not_priced',
    message: `API key "${name}" has a money budget and model "${model}" can be served by ${upstream}, which has no price (add it to prices: in provider-config.yaml)`,
  }),
  /**
   * A limit: 429 with Retry-After. A budget that resets only days from now (or never) also says
   * x-should-retry: false, so the SDKs fail at once instead of retrying into the same answer.
   */
  limit: (r: Refusal): GateRefusal => {
    const headers: Record<string, string> = {};
    if (r.retryAfterS !== null) headers['retry-after'] = String(r.retryAfterS);
    if (r.retryAfterS === null || r.retryAfterS > 60) headers['x-should-retry'] = 'false';
    return {
      status: 429,
      type: 'rate_limit_error',
      code: r.metric === 'budget' || r.metric === 'token_budget' ? 'budget_exceeded' : 'rate_limit_exceeded',
      message: r.message,
      headers,
    };
  },
};
