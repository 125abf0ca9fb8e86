// What every provider type declares: the wire format it speaks, the client APIs it serves
// without translation, its upstream paths and its fixed headers. Providers are data; the
// proxy core never branches on a provider's name.
import type { ResolvedProvider } from '../config/load.ts';

export type ClientApi = 'chat' | 'messages' | 'count_tokens' | 'embeddings' | 'responses' | 'completions';
export type Wire = 'openai' | 'anthropic' | 'echo';

export interface ProviderAdapter {
  readonly wire: Wire;
  /** Client APIs this provider answers natively (bodies pass through). */
  readonly native: ReadonlySet<ClientApi>;
  /** The path part of the base URL to keep (e.g. "/v1"), normalised once at load. */
  basePath(url: URL): string;
  /** The upstream path (with query) for a native API call. */
  path(basePath: string, api: ClientApi, model: string, provider: ResolvedProvider): string;
  /** Headers sent on every upstream request: auth, API version and the configured extras. */
  headers(provider: ResolvedProvider): Record<string, string>;
}

export const API_PATHS: Record<ClientApi, string> = {
  chat: '/chat/completions',
  messages: '/messages',
  count_tokens: '/messages/count_tokens',
  embeddings: '/embeddings',
  responses: '/responses',
  completions: '/completions',
};
