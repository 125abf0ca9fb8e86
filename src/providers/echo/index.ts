// The built-in echo provider: no network, no key. It answers chat completions and messages
// (JSON or SSE) by repeating the last user message, so a fresh install is usable and testable.
import type { ClientApi, ProviderAdapter } from '../types.ts';

export const echoAdapter: ProviderAdapter = {
  wire: 'echo',
  native: new Set<ClientApi>(['chat', 'messages']),
  basePath: () => '',
  path: () => '',
  headers: () => ({}),
};
