// OpenAI and the servers that copy its API (openai-compatible: vLLM, Ollama, OpenRouter, ...),
// and Azure OpenAI, which differs only in its path (deployment in the URL) and key header.
import type { ClientApi, ProviderAdapter } from '../types.ts';
import { API_PATHS } from '../types.ts';

const NATIVE = new Set<ClientApi>(['chat', 'embeddings', 'responses', 'completions']);
const DEFAULT_AZURE_API_VERSION = '2024-10-21';

function trimPath(url: URL): string {
  return url.pathname.replace(/\/+$/, '');
}

export const openaiAdapter: ProviderAdapter = {
  wire: 'openai',
  native: NATIVE,
  basePath: trimPath,
  path: (base, api) => base + API_PATHS[api],
  headers: (p) => ({ ...p.headers, ...(p.apiKey ? { authorization: `Bearer ${p.apiKey}` } : {}) }),
};

export const azureOpenaiAdapter: ProviderAdapter = {
  wire: 'openai',
  native: NATIVE,
  basePath: trimPath,
  // https://RESOURCE.openai.azure.com              -> /openai/deployments/MODEL/...?api-version=
  // https://RESOURCE.openai.azure.com/openai/v1    -> the v1 API, model in the body as with OpenAI
  path: (base, api, model, p) =>
    base.endsWith('/v1')
      ? base + API_PATHS[api]
      : `${base}/openai/deployments/${encodeURIComponent(model)}${API_PATHS[api]}?api-version=${encodeURIComponent(p.api_version ?? DEFAULT_AZURE_API_VERSION)}`,
  headers: (p) => ({ ...p.headers, ...(p.apiKey ? { 'api-key': p.apiKey } : {}) }),
};
