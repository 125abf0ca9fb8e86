// The configuration of a Swarm service, from the same .env and provider-config.yaml a single-VPS
// install writes (config-change.ts): every secret variable (src/contract/variables.ts) becomes a
// Docker secret named by its content, the plain ones the service's environment, the provider
// file a Docker config.
import { parseEnv } from '../../src/config/env.ts';
import { isSecret } from '../../src/contract/variables.ts';
import { hash12, providerConfigName, secretName } from '../engine/stack.ts';

export interface SecretObject {
  variable: string;
  name: string;
  content: string;
}

export interface SwarmConfig {
  secrets: SecretObject[];
  provider: { name: string; content: string };
  /** Service environment: PORT (the chosen port), then the plain settings .env sets (LOG_LEVEL). */
  env: Record<string, string>;
  /** One hash over every name: the service label `ai-proxy.config-hash`. */
  configHash: string;
}

export function swarmConfig(envText: string, providerText: string, port: number): SwarmConfig {
  const vars = parseEnv(envText);
  const secrets = Object.entries(vars)
    .filter(([name, value]) => value !== '' && isSecret(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([variable, content]) => ({ variable, name: secretName(variable, content), content }));
  const provider = { name: providerConfigName(providerText), content: providerText };
  // PORT first: the order is part of the config hash, which tells an unchanged service.
  const env: Record<string, string> = { PORT: String(port) };
  for (const [name, value] of Object.entries(vars))
    if (value !== '' && !isSecret(name) && name !== 'PORT') env[name] = value;
  const configHash = hash12(
    [...secrets.map((s) => s.name), provider.name, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join('\n'),
  );
  return { secrets, provider, env, configHash };
}
