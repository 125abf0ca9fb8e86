// Turns the config folder (.env + provider-config.yaml) plus the real environment into one
// validated, resolved configuration. Nothing here opens sockets; the server compiles the result.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvError, parseEnv, validateEnv, type EnvConfig } from './env.ts';
import { layerVars, readSecretFiles, refreshFromSecrets, resolveSecretsDir, type VarSource } from './secrets.ts';
import { ConfigError, parseProviderConfig } from './provider-config.ts';
import { ENV_FILE, PROVIDER_FILE } from '../contract/container.ts';
import { CONSOLE_VARIABLES } from '../contract/variables.ts';
import type {
  LedgerSettings,
  PriceEntry,
  ProviderConfig,
  ProviderEntry,
  RouteTarget,
  ServerSettings,
} from './schema.ts';
import { PriceTable } from '../pricing/prices.ts';

const DEFAULT_BASE_URL: Partial<Record<ProviderEntry['type'], string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};
const NEEDS_KEY = new Set<ProviderEntry['type']>(['openai', 'anthropic', 'azure-openai']);

export interface ResolvedProvider extends Omit<ProviderEntry, 'api_key' | 'headers' | 'base_url'> {
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
  /** Why the provider cannot be used (a missing key); undefined when it can. */
  unusable: string | undefined;
}

export interface LoadedConfig {
  dir: string;
  env: EnvConfig;
  /** .env, then secret files, then the real environment (each wins over the one before): the source of ${VAR} values. */
  vars: Record<string, string>;
  /** Where the variables from .env and secret files (and the proxy's own) came from: `ai-proxy config` shows it. */
  sources?: Record<string, VarSource>;
  providers: ResolvedProvider[];
  /** Public model name -> ordered targets, explicit routes first, then each provider's models. */
  routes: Map<string, RouteTarget[]>;
  server: ServerSettings;
  /** `prices:` as written (per million tokens); absent in configs built by hand (tests). */
  prices?: Record<string, PriceEntry>;
  ledger?: LedgerSettings;
  warnings: string[];
}

const VAR_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function expand(value: string, vars: Record<string, string>, missing: Set<string>): string {
  return value.replace(VAR_REF, (_, name: string) => {
    const v = vars[name];
    if (v === undefined || v === '') missing.add(name);
    return v ?? '';
  });
}

/** Expands ${VAR} in api_key and header values; a provider whose key is unset becomes unusable. */
export function resolveProviders(cfg: ProviderConfig, vars: Record<string, string>): ResolvedProvider[] {
  return cfg.providers.map((p) => {
    const missing = new Set<string>();
    const apiKey = p.api_key === undefined ? undefined : expand(p.api_key, vars, missing);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.headers)) headers[k] = expand(v, vars, missing);
    let unusable: string | undefined;
    if (missing.size > 0) unusable = `${[...missing].join(', ')} not set (add ${[...missing][0]}=... to .env)`;
    else if (NEEDS_KEY.has(p.type) && !apiKey) unusable = `no api_key configured for type ${p.type}`;
    const { api_key: _k, headers: _h, base_url, ...rest } = p;
    return {
      ...rest,
      baseUrl: (base_url ?? DEFAULT_BASE_URL[p.type] ?? '').replace(/\/+$/, ''),
      apiKey: apiKey || undefined,
      headers,
      unusable,
    };
  });
}

/** Explicit routes, then every provider model reachable by its own name and as "provider/model". */
export function buildRoutes(cfg: ProviderConfig): Map<string, RouteTarget[]> {
  const routes = new Map<string, RouteTarget[]>();
  for (const [name, targets] of Object.entries(cfg.routes)) routes.set(name, targets);
  for (const p of cfg.providers) {
    for (const model of p.models) {
      const direct = `${p.name}/${model}`;
      if (!routes.has(direct)) routes.set(direct, [{ provider: p.name, model }]);
      const own = routes.get(model);
      if (!own) routes.set(model, [{ provider: p.name, model }]);
      else if (!Object.hasOwn(cfg.routes, model)) own.push({ provider: p.name, model });
    }
  }
  return routes;
}

function readText(path: string, what: string, optional: boolean): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && optional) return undefined;
    if (code === 'ENOENT')
      throw new ConfigError(`${path}: not found (${what}; pass --config-dir DIR or set AI_PROXY_CONFIG_DIR)`);
    throw new ConfigError(`${path}: cannot read (${code ?? String(error)})`);
  }
}

/**
 * Validates the provider file alone against an environment (used by SIGHUP reload, which so
 * also sees secret files replaced since the start; the process environment still wins).
 */
export function loadProviderFile(
  dir: string,
  loadedVars: Record<string, string>,
  env: Record<string, string | undefined> = process.env,
): Omit<LoadedConfig, 'dir' | 'env' | 'vars'> {
  const path = join(dir, PROVIDER_FILE);
  const cfg = parseProviderConfig(readText(path, 'the provider configuration', false)!, PROVIDER_FILE);
  const { vars, warnings: secretWarnings } = refreshFromSecrets(loadedVars, env);
  const providers = resolveProviders(cfg, vars);
  const warnings = [
    ...secretWarnings,
    ...providers.filter((p) => p.unusable).map((p) => `provider "${p.name}" is disabled: ${p.unusable}`),
  ];
  const routes = buildRoutes(cfg);
  for (const [name, targets] of routes) {
    const usable = targets.some((t) => !providers.find((p) => p.name === t.provider)?.unusable);
    if (!usable && Object.hasOwn(cfg.routes, name)) warnings.push(`route "${name}" has no usable target`);
  }
  warnings.push(...unpricedWarnings(cfg, routes));
  return { providers, routes, server: cfg.server, prices: cfg.prices, ledger: cfg.ledger, warnings };
}

/**
 * Once prices are in use, every model a route can reach should have one: its requests are
 * otherwise counted in tokens only, and refused to keys with a money budget.
 */
function unpricedWarnings(cfg: ProviderConfig, routes: Map<string, RouteTarget[]>): string[] {
  if (Object.keys(cfg.prices).length === 0) return [];
  const table = new PriceTable(cfg.prices);
  const missing = new Set<string>();
  for (const targets of routes.values())
    for (const t of targets) if (!table.lookup(t.provider, t.model)) missing.add(`${t.provider}/${t.model}`);
  return [...missing].map(
    (m) => `model ${m} has no price in prices: its requests are counted in tokens and reported as unpriced`,
  );
}

/**
 * Loads and validates the config folder. `.env` is optional (secret files or the environment
 * may carry everything); secret files (secrets.ts) win over .env and the real environment wins
 * over both. Throws ConfigError.
 */
export function loadConfig(dir: string, env: Record<string, string | undefined> = process.env): LoadedConfig {
  const envText = readText(join(dir, ENV_FILE), 'the .env file', true);
  const secrets = readSecretFiles(resolveSecretsDir(env));
  let vars: Record<string, string>;
  let sources: Record<string, VarSource>;
  let envConfig: EnvConfig;
  try {
    ({ vars, sources } = layerVars(envText === undefined ? {} : parseEnv(envText, ENV_FILE), secrets.vars, env, [
      'PORT',
      'AUTH_TOKEN',
      'LOG_LEVEL',
      'DATA_DIR',
      'DATABASE_URL',
      ...CONSOLE_VARIABLES,
    ]));
    envConfig = validateEnv(vars);
  } catch (error) {
    if (error instanceof EnvError) {
      const msg = error.message.startsWith(ENV_FILE) ? error.message : `${ENV_FILE}: ${error.message}`;
      throw new ConfigError(msg);
    }
    throw error;
  }
  return { dir, env: envConfig, vars, sources, ...loadProviderFile(dir, vars, env) };
}
