// `ai-proxy config`: validates .env and provider-config.yaml and prints the effective config
// with secrets redacted: how operators check a config inside an image without a shell.
import { resolve } from 'node:path';
import { ExitError } from '../exit-error.ts';
import { isSecret } from '../contract/variables.ts';
import { resolveConfigDir } from '../config/dir.ts';
import { ConfigError } from '../config/provider-config.ts';
import { loadConfig, type LoadedConfig } from '../config/load.ts';
import { storeTarget } from '../store/open.ts';
import { redactUrl } from '../store/url.ts';
import { parseFlags } from './args.ts';

export const EX_CONFIG = 78;

function redact(secret: string | undefined): string | null {
  if (!secret) return null;
  return `[REDACTED ${secret.length} chars]`;
}

export function describeConfig(c: LoadedConfig): Record<string, unknown> {
  return {
    config_dir: c.dir,
    port: c.env.port,
    log_level: c.env.logLevel,
    auth_token: redact(c.env.authToken),
    server: c.server,
    tls: describeTls(c),
    console: describeConsole(c),
    store: describeStore(c),
    ledger: c.ledger ?? null,
    prices: Object.keys(c.prices ?? {}).length,
    providers: c.providers.map((p) => ({
      name: p.name,
      type: p.type,
      ...(p.type === 'echo' ? {} : { base_url: p.baseUrl, api_key: redact(p.apiKey) }),
      ...(p.api_version ? { api_version: p.api_version } : {}),
      models: p.models,
      timeout: p.timeout,
      max_retries: p.max_retries,
      ...(Object.keys(p.headers).length
        ? { headers: Object.fromEntries(Object.keys(p.headers).map((k) => [k, '[REDACTED]'])) }
        : {}),
      status: p.unusable ? `disabled: ${p.unusable}` : 'ok',
    })),
    routes: Object.fromEntries(
      [...c.routes].map(([name, targets]) => [name, targets.map((t) => `${t.provider}/${t.model}`)]),
    ),
    // Where each variable came from (environment > secret file > .env), values redacted.
    variables: Object.fromEntries(
      Object.entries(c.sources ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, source]) => [name, { source, value: isSecret(name) ? redact(c.vars[name]) : c.vars[name] }]),
    ),
    warnings: c.warnings,
  };
}

/** Where keys and the ledger are kept (not opened here: `config` must work without it). */
function describeStore(c: LoadedConfig): Record<string, unknown> {
  const t = storeTarget(c.env.store ?? { databaseUrl: undefined, dataDir: undefined }, c.dir);
  if (t.kind === 'postgres') return { kind: 'postgres', location: redactUrl(t.url) };
  if (t.kind === 'sqlite') return { kind: 'sqlite', location: t.path };
  return { kind: 'none', reason: `${t.reason}: client keys and the ledger are off` };
}

/** Where the console is served and how one signs in (never the hash itself). */
function describeConsole(c: LoadedConfig): Record<string, unknown> | null {
  const k = c.env.console;
  if (!k) return null;
  return {
    listener:
      k.port === undefined ? null : `http://${k.host.includes(':') ? `[${k.host}]` : k.host}:${k.port}/console/`,
    on_public_port: k.onPublicPort,
    sign_in: k.passwordHash ? 'console password (CONSOLE_PASSWORD_HASH)' : 'AUTH_TOKEN',
  };
}

/** HTTPS settings: paths and names only, never the files' contents. */
function describeTls(c: LoadedConfig): Record<string, unknown> | null {
  const t = c.env.tls;
  if (!t) return null;
  const path = (p: string) => resolve(c.dir, p);
  const common = { http_port: t.httpPort ?? null, public_https_port: t.publicHttpsPort };
  if (t.mode === 'file') return { mode: 'file', cert_file: path(t.certFile), key_file: path(t.keyFile), ...common };
  return {
    mode: 'acme',
    domains: t.domains,
    email: t.email ?? null,
    directory_url: t.directoryUrl,
    ca_file: t.caFile ? path(t.caFile) : null,
    state_dir: path(t.stateDir),
    ...common,
  };
}

/** Loads the config or throws ExitError(78) with the one-line reason. */
export function loadOrExit(dir: string): LoadedConfig {
  try {
    return loadConfig(dir, process.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ExitError(EX_CONFIG, `invalid configuration: ${error.message}`);
    throw error;
  }
}

export async function configCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, ['config-dir'], 'config');
  const config = loadOrExit(resolveConfigDir(flags['config-dir']));
  process.stdout.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
}
