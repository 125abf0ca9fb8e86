// What the configuration in /srv/ai-proxy should become: the existing files validated with the
// proxy's own parsers (so the installer and the proxy can never disagree), then the new content
// computed in memory. Nothing here writes; configure.ts writes what this returns.
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv, parseProviderConfig, validateEnv } from '../../src/config/index.ts';
import { ENV_FILE, PROVIDER_FILE } from '../../src/contract/container.ts';
import { setEnvValue } from './env-editor.ts';

/** A configuration problem the operator must fix (exit 11), carrying the exact parser error. */
export class ConfigInvalid extends Error {}

export interface ConfigChange {
  firstInstall: boolean;
  /** Current bytes of each file (undefined: absent), restored byte for byte on rollback. */
  current: { env?: Buffer; provider?: Buffer };
  next: { env: string; provider: string };
  /** Set only when this run generated the token (first install): shown once at the end. */
  generatedToken?: string;
  configHash: string;
}

function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

function readIfPresent(path: string): Buffer | undefined {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) throw new ConfigInvalid(`${path} is a symbolic link; replace it with a regular file`);
    if (!stat.isFile()) throw new ConfigInvalid(`${path} is not a regular file`);
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function validateEnvText(text: string, fileName: string): void {
  try {
    validateEnv(parseEnv(text, fileName));
  } catch (error) {
    throw new ConfigInvalid(
      `${(error as Error).message.startsWith(fileName) ? '' : `${fileName}: `}${(error as Error).message}`,
    );
  }
}

function validateProviderText(text: string, fileName: string): void {
  try {
    parseProviderConfig(text, fileName);
  } catch (error) {
    throw new ConfigInvalid((error as Error).message);
  }
}

/**
 * Reads the existing files (validating them first: a file that does not validate stops the
 * install with its exact error) and computes the new content. Pure apart from reading.
 */
export function configChange(
  configDir: string,
  templates: { env: string; provider: string },
  port: number,
): ConfigChange {
  const dirStat = lstatOrUndefined(configDir);
  if (dirStat?.isSymbolicLink())
    throw new ConfigInvalid(`${configDir} is a symbolic link; it must be a real directory owned by root`);
  if (dirStat && !dirStat.isDirectory()) throw new ConfigInvalid(`${configDir} exists and is not a directory`);
  const envPath = join(configDir, ENV_FILE);
  const providerPath = join(configDir, PROVIDER_FILE);
  const current = { env: readIfPresent(envPath), provider: readIfPresent(providerPath) };
  if (current.env) validateEnvText(current.env.toString('utf8'), envPath);
  if (current.provider) validateProviderText(current.provider.toString('utf8'), providerPath);

  let generatedToken: string | undefined;
  let env: string;
  if (current.env) {
    env = setEnvValue(current.env.toString('utf8'), 'PORT', String(port));
  } else {
    generatedToken = generateToken();
    env = setEnvValue(setEnvValue(templates.env, 'AUTH_TOKEN', generatedToken), 'PORT', String(port));
  }
  const provider = current.provider ? current.provider.toString('utf8') : templates.provider;
  validateEnvText(env, envPath);
  validateProviderText(provider, providerPath);
  const configHash = createHash('sha256').update(env).update('\0').update(provider).digest('hex');
  return {
    firstInstall: !current.env && !current.provider,
    current,
    next: { env, provider },
    configHash,
    ...(generatedToken ? { generatedToken } : {}),
  };
}
