// The config module's public surface, also used by the installer to validate existing files.
export { parseEnv, validateEnv, EnvError, type EnvConfig, type LogLevel } from './env.ts';
export { parseProviderConfig, ConfigError, formatPath } from './provider-config.ts';
export { loadConfig, loadProviderFile, resolveProviders, buildRoutes } from './load.ts';
export type { LoadedConfig, ResolvedProvider } from './load.ts';
export {
  PROVIDER_TYPES,
  type ProviderConfig,
  type ProviderEntry,
  type ServerSettings,
  type RouteTarget,
} from './schema.ts';
export { resolveConfigDir } from './dir.ts';
