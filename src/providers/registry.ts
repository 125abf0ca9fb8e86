// Provider type -> adapter. Adding a provider type adds a folder and a line here.
import type { ProviderType } from '../config/schema.ts';
import { anthropicAdapter } from './anthropic/index.ts';
import { echoAdapter } from './echo/index.ts';
import { azureOpenaiAdapter, openaiAdapter } from './openai/index.ts';
import type { ProviderAdapter } from './types.ts';

export const adapters: Record<ProviderType, ProviderAdapter> = {
  openai: openaiAdapter,
  'openai-compatible': openaiAdapter,
  'azure-openai': azureOpenaiAdapter,
  anthropic: anthropicAdapter,
  echo: echoAdapter,
};
