// The configuration in /srv/ai-proxy: read and validate what is there (with the proxy's own
// parsers, so the installer and the proxy can never disagree), compute what should be there,
// and write it atomically with a backup of the previous bytes.
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseEnv, validateEnv, parseProviderConfig } from '../../src/config/index.ts';
import { getEnvValue, setEnvValue } from './env-editor.ts';
import { writeFileAtomic, sweepTempFiles } from './atomic-write.ts';
import type { ConfigPlan } from '../flows/state.ts';

export const ENV_NAME = '.env';
export const PROVIDER_NAME = 'provider-config.yaml';
export const BACKUP_DIR = '.backup';
export const BACKUPS_KEPT = 5;

/** A configuration problem the operator must fix (exit 11), carrying the exact parser error. */
export class ConfigInvalid extends Error {}

export function generateToken(): string {
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

export function validateEnvText(text: string, fileName: string): void {
  try {
    validateEnv(parseEnv(text, fileName));
  } catch (error) {
    throw new ConfigInvalid(
      `${(error as Error).message.startsWith(fileName) ? '' : `${fileName}: `}${(error as Error).message}`,
    );
  }
}

export function validateProviderText(text: string, fileName: string): void {
  try {
    parseProviderConfig(text, fileName);
  } catch (error) {
    throw new ConfigInvalid((error as Error).message);
  }
}

/** The installed PORT, when a valid .env is there (the default for the port question). */
export function installedPort(configDir: string): number | undefined {
  try {
    const value = getEnvValue(readFileSync(join(configDir, ENV_NAME), 'utf8'), 'PORT');
    return value && /^[1-9][0-9]{0,4}$/.test(value) && Number(value) <= 65535 ? Number(value) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the existing files (validating them first: a file that does not validate stops the
 * install with its exact error) and computes the new content. Pure apart from reading.
 */
export function planConfig(configDir: string, templates: { env: string; provider: string }, port: number): ConfigPlan {
  const dirStat = lstatOrUndefined(configDir);
  if (dirStat?.isSymbolicLink())
    throw new ConfigInvalid(`${configDir} is a symbolic link; it must be a real directory owned by root`);
  if (dirStat && !dirStat.isDirectory()) throw new ConfigInvalid(`${configDir} exists and is not a directory`);
  const envPath = join(configDir, ENV_NAME);
  const providerPath = join(configDir, PROVIDER_NAME);
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

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Creates or fixes the folder: 0750 root:<gid>, so the container user can read, not write. */
export function ensureConfigDir(configDir: string, gid: number): boolean {
  const existed = lstatOrUndefined(configDir) !== undefined;
  mkdirSync(configDir, { recursive: true, mode: 0o750 });
  chownSync(configDir, 0, gid);
  chmodSync(configDir, 0o750);
  sweepTempFiles(configDir, readdirSync(configDir));
  return !existed;
}

/** Copies the current file into .backup/ (0600 root) and keeps the newest BACKUPS_KEPT per file. */
export function backupFile(configDir: string, name: string, stamp: string): void {
  const source = join(configDir, name);
  if (!lstatOrUndefined(source)) return;
  const dir = join(configDir, BACKUP_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  copyFileSync(source, join(dir, `${name}.${stamp}`));
  chmodSync(join(dir, `${name}.${stamp}`), 0o600);
  const mine = readdirSync(dir)
    .filter((entry) => entry.startsWith(`${name}.`))
    .sort();
  for (const old of mine.slice(0, Math.max(0, mine.length - BACKUPS_KEPT))) unlinkSync(join(dir, old));
}

export function writeConfigFile(configDir: string, name: string, content: string | Buffer, gid: number): void {
  writeFileAtomic(join(configDir, name), content, { mode: 0o640, uid: 0, gid });
}

/** Puts a file back exactly as it was, or removes it when it did not exist. */
export function restoreConfigFile(configDir: string, name: string, previous: Buffer | undefined, gid: number): void {
  if (previous === undefined) {
    try {
      unlinkSync(join(configDir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return;
  }
  writeConfigFile(configDir, name, previous, gid);
}

/** A sortable timestamp for backup names (UTC, filesystem-safe). */
export function backupStamp(now = new Date()): string {
  return (
    now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z') + `-${process.pid}`
  );
}
