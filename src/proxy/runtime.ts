// Compiles a LoadedConfig into what request handling needs, once per (re)load: providers with
// their pool, paths, headers and metric labels ready; routes resolved to provider objects;
// /v1/models prebuilt.
import type { LoadedConfig, ResolvedProvider } from '../config/load.ts';
import type { ProviderType, ServerSettings } from '../config/schema.ts';
import { adapters } from '../providers/registry.ts';
import type { ProviderAdapter } from '../providers/types.ts';
import { providerLabel, routeLabel, tokenLabels } from '../observability/labels.ts';
import type { PoolSet } from '../upstream/pools.ts';
import type { Pool } from '../upstream/undici-lite.ts';

export interface ProviderState {
  consecutiveFailures: number;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  lastSuccessAt: number | undefined;
}

export interface RuntimeProvider {
  name: string;
  type: ProviderType;
  adapter: ProviderAdapter;
  config: ResolvedProvider;
  pool: Pool | undefined;
  basePath: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxRetries: number;
  streamUsage: boolean;
  unusable: string | undefined;
  state: ProviderState;
  /** provider="..." of every metric about this provider. */
  label: string;
}

/** One step of a route: a provider's model, with the metric labels of the route and the model. */
export interface RuntimeTarget {
  provider: RuntimeProvider;
  model: string;
  routeLabel: string;
  tokenLabels: { prompt: string; completion: string };
}

export interface Runtime {
  config: LoadedConfig;
  providers: Map<string, RuntimeProvider>;
  routes: Map<string, RuntimeTarget[]>;
  settings: ServerSettings;
  modelsBody: string;
  loadedAt: number;
}

export function compileRuntime(config: LoadedConfig, pools: PoolSet, previous?: Runtime): Runtime {
  const providers = new Map<string, RuntimeProvider>();
  const origins = new Set<string>();
  for (const p of config.providers) {
    const adapter = adapters[p.type];
    let pool: Pool | undefined;
    let basePath = '';
    if (adapter.wire !== 'echo') {
      const url = new URL(p.baseUrl);
      origins.add(url.origin);
      pool = pools.get(url.origin);
      basePath = adapter.basePath(url);
    }
    const old = previous?.providers.get(p.name);
    providers.set(p.name, {
      name: p.name,
      type: p.type,
      adapter,
      config: p,
      pool,
      basePath,
      headers: { ...adapter.headers(p), 'content-type': 'application/json' },
      timeoutMs: Math.round(p.timeout * 1000),
      maxRetries: p.max_retries,
      streamUsage: p.stream_usage,
      unusable: p.unusable,
      // Health history survives a reload of an unchanged provider.
      state:
        old && old.type === p.type && old.config.baseUrl === p.baseUrl
          ? old.state
          : { consecutiveFailures: 0, lastError: undefined, lastErrorAt: undefined, lastSuccessAt: undefined },
      label: providerLabel(p.name),
    });
  }
  pools.retain(origins);
  const routes = new Map<string, RuntimeTarget[]>();
  for (const [name, targets] of config.routes) {
    const route = routeLabel(name);
    routes.set(
      name,
      targets.map((t) => ({
        provider: providers.get(t.provider)!,
        model: t.model,
        routeLabel: route,
        tokenLabels: tokenLabels(t.provider, t.model),
      })),
    );
  }
  const created = Math.floor(Date.now() / 1000);
  const createdAt = new Date(created * 1000).toISOString();
  const ids = [...routes.keys()];
  // One body both SDKs can read: OpenAI's list fields plus Anthropic's page and model fields.
  const modelsBody = JSON.stringify({
    object: 'list',
    data: ids.map((id) => ({
      id,
      object: 'model',
      created,
      owned_by: routes.get(id)![0]!.provider.name,
      type: 'model',
      display_name: id,
      created_at: createdAt,
    })),
    has_more: false,
    first_id: ids[0] ?? null,
    last_id: ids.at(-1) ?? null,
  });
  return { config, providers, routes, settings: config.server, modelsBody, loadedAt: Date.now() };
}
