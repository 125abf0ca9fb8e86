// Names of the swarm objects. Docker secrets and configs are immutable, so each one is named by
// its content: a changed token or key is a new object and the service moves over to it; the old
// one is removed once the update succeeded (kept when Swarm rolled back, the old tasks use it).
import { createHash } from 'node:crypto';
import { parseEnv } from '../../src/config/env.ts';

export const STACK = 'ai-proxy';
export const SERVICE = `${STACK}_${STACK}`;
export const OBJECT_PREFIX = `${STACK}-`;
/** `docker stack ls/ps` finds the service (and our secrets and configs) by this label. */
export const STACK_LABEL = 'com.docker.stack.namespace';
export const LABELS = {
  version: 'ai-proxy.version',
  configHash: 'ai-proxy.config-hash',
  variable: 'ai-proxy.variable',
  imageCheck: 'ai-proxy.image-check',
} as const;
/** Where the proxy finds each secret (secrets.ts) and its provider file. */
export const SECRETS_DIR = '/run/secrets';
export const PROVIDER_TARGET = '/app/config/provider-config.yaml';
/** Settings that are not secrets: they travel as the service's environment. */
export const PLAIN_SETTINGS = ['PORT', 'LOG_LEVEL'] as const;

/** Docker limits secret and config names to 64 characters of [a-zA-Z0-9-_.]. */
const MAX_NAME = 64;

export function hash12(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 12);
}

/** `ai-proxy-<lowercased var>-<hash12>`, the variable part shortened when the name would pass 64. */
export function secretName(variable: string, content: string): string {
  const suffix = `-${hash12(content)}`;
  const room = MAX_NAME - OBJECT_PREFIX.length - suffix.length;
  return `${OBJECT_PREFIX}${variable.toLowerCase().slice(0, room)}${suffix}`;
}

export function providerConfigName(content: string): string {
  return `${OBJECT_PREFIX}provider-config-${hash12(content)}`;
}

export interface SecretPlan {
  variable: string;
  name: string;
  content: string;
}

export interface SwarmConfigPlan {
  secrets: SecretPlan[];
  provider: { name: string; content: string };
  /** Service environment: PORT (the chosen port) and LOG_LEVEL when .env sets it. */
  env: Record<string, string>;
  /** One hash over every name: the service label `ai-proxy.config-hash`. */
  configHash: string;
}

/**
 * What goes where, from the same .env and provider-config.yaml a single-VPS install writes:
 * every non-empty variable of .env except PORT and LOG_LEVEL is a secret (AUTH_TOKEN and the
 * provider keys, whatever their names), the provider file is a config.
 */
export function planSwarmConfig(envText: string, providerText: string, port: number): SwarmConfigPlan {
  const vars = parseEnv(envText);
  const secrets = Object.entries(vars)
    .filter(([name, value]) => value !== '' && !(PLAIN_SETTINGS as readonly string[]).includes(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([variable, content]) => ({ variable, name: secretName(variable, content), content }));
  const provider = { name: providerConfigName(providerText), content: providerText };
  const env: Record<string, string> = { PORT: String(port) };
  if (vars.LOG_LEVEL) env.LOG_LEVEL = vars.LOG_LEVEL;
  const configHash = hash12(
    [...secrets.map((s) => s.name), provider.name, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join('\n'),
  );
  return { secrets, provider, env, configHash };
}

/** Our secret/config names no longer referenced by the plan (removed after a successful update). */
export function staleObjects(existing: string[], wanted: string[]): string[] {
  const keep = new Set(wanted);
  return existing.filter((name) => name.startsWith(OBJECT_PREFIX) && !keep.has(name)).sort();
}
