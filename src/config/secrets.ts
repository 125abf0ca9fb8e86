// Variables from secret files: Docker Swarm (and Kubernetes, Compose) mount each secret as a
// file, /run/secrets/<NAME>. A file whose name is a valid variable name is that variable.
// Precedence, highest first: the process environment, secret files, the config folder's .env.
// Environment wins so an operator can always override one value for a single run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SECRETS_DIR } from '../contract/container.ts';

/** A secret file larger than this is not a variable (a certificate bundle, an archive...). */
export const MAX_SECRET_BYTES = 64 * 1024;

export type VarSource = 'environment' | 'secret' | 'env-file';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function resolveSecretsDir(env: Record<string, string | undefined>): string {
  return env.AI_PROXY_SECRETS_DIR || SECRETS_DIR;
}

export interface SecretFiles {
  dir: string;
  vars: Record<string, string>;
  /** Files that looked like variables but could not be used, one line each. */
  warnings: string[];
}

/**
 * Reads every regular file named like a variable. A missing folder is the normal case outside
 * a cluster (no secrets). One trailing newline is dropped: `echo VALUE > file` and
 * `kubectl create secret --from-file` both leave one, and no key or token ends in a newline.
 */
export function readSecretFiles(dir: string): SecretFiles {
  const result: SecretFiles = { dir, vars: {}, warnings: [] };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      result.warnings.push(`${dir}: cannot list the secret files (${code ?? String(error)})`);
    return result;
  }
  for (const name of names.sort()) {
    if (!NAME.test(name)) continue;
    const path = join(dir, name);
    try {
      const stat = statSync(path);
      if (!stat.isFile()) continue;
      if (stat.size > MAX_SECRET_BYTES) {
        result.warnings.push(`${path}: ignored, ${stat.size} bytes is too large for a variable`);
        continue;
      }
      result.vars[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      result.warnings.push(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  return result;
}

export interface LayeredVars {
  vars: Record<string, string>;
  /** Where each variable from .env or a secret file (or overriding one) came from. */
  sources: Record<string, VarSource>;
}

/** .env under secret files under the environment. Sources cover .env and secret names plus `tracked`. */
export function layerVars(
  fileVars: Record<string, string>,
  secretVars: Record<string, string>,
  env: Record<string, string | undefined>,
  tracked: readonly string[] = [],
): LayeredVars {
  const vars: Record<string, string> = {};
  const sources: Record<string, VarSource> = {};
  for (const [k, v] of Object.entries(fileVars)) (vars[k] = v), (sources[k] = 'env-file');
  for (const [k, v] of Object.entries(secretVars)) (vars[k] = v), (sources[k] = 'secret');
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    vars[k] = v;
    if (k in sources || tracked.includes(k)) sources[k] = 'environment';
  }
  return { vars, sources };
}

/**
 * For a reload (SIGHUP): the current secret files replace the values that came from secret
 * files or .env before, unless the process environment sets that variable (it still wins).
 */
export function refreshFromSecrets(
  vars: Record<string, string>,
  env: Record<string, string | undefined>,
): { vars: Record<string, string>; warnings: string[] } {
  const secrets = readSecretFiles(resolveSecretsDir(env));
  const next = { ...vars };
  for (const [k, v] of Object.entries(secrets.vars)) if (env[k] === undefined) next[k] = v;
  return { vars: next, warnings: secrets.warnings };
}
