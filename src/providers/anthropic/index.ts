// Anthropic's Messages API. The base URL is written as the Anthropic SDK takes it
// (https://api.anthropic.com); a trailing /v1 is accepted too.
import { API_PATHS, type ClientApi, type ProviderAdapter } from '../types.ts';

export const ANTHROPIC_VERSION = '2023-06-01';

export const anthropicAdapter: ProviderAdapter = {
  wire: 'anthropic',
  native: new Set<ClientApi>(['messages', 'count_tokens']),
  basePath: (url) => url.pathname.replace(/\/+$/, '').replace(/\/v1$/, ''),
  path: (base, api) => `${base}/v1${API_PATHS[api]}`,
  headers: (p) => ({
    ...p.headers,
    'anthropic-version': ANTHROPIC_VERSION,
    ...(p.apiKey ? { 'x-api-key': p.apiKey } : {}),
  }),
};
