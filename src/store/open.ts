// Which store a process uses, and opening it: PostgreSQL when DATABASE_URL is set, else the
// SQLite file in DATA_DIR, else none (client keys and the ledger are off; AUTH_TOKEN still works).
// The `keys` and `usage` commands read only the variables they need, so they work even while
// provider-config.yaml is being edited.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EnvError, parseEnv } from '../config/env.ts';
import { type StoreEnv, validateStoreEnv } from '../config/store-env.ts';
import { ENV_FILE } from '../contract/container.ts';
import { layerVars, readSecretFiles, resolveSecretsDir } from '../config/secrets.ts';
import { DATABASE_FILE, SqliteStore } from './sqlite.ts';
import { StoreError, type Store } from './types.ts';

export type StoreTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'sqlite'; path: string }
  | { kind: 'none'; reason: string };

export function storeTarget(store: StoreEnv, configDir: string): StoreTarget {
  if (store.databaseUrl) return { kind: 'postgres', url: store.databaseUrl };
  if (store.dataDir) return { kind: 'sqlite', path: join(resolve(configDir, store.dataDir), DATABASE_FILE) };
  return { kind: 'none', reason: 'neither DATABASE_URL nor DATA_DIR is set' };
}

/** The store's variables from the config folder's .env, secret files and the environment. */
export function readStoreTarget(configDir: string, env: Record<string, string | undefined> = process.env): StoreTarget {
  let fileVars: Record<string, string> = {};
  try {
    fileVars = parseEnv(readFileSync(join(configDir, ENV_FILE), 'utf8'), ENV_FILE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EACCES') throw new StoreError((error as Error).message);
  }
  const { vars } = layerVars(fileVars, readSecretFiles(resolveSecretsDir(env)).vars, env);
  try {
    return storeTarget(validateStoreEnv(vars), configDir);
  } catch (error) {
    if (error instanceof EnvError) throw new StoreError(error.message);
    throw error;
  }
}

export interface OpenOptions {
  /** The proxy waits a few ms for a locked SQLite file, the CLI a few seconds. */
  sqliteBusyTimeoutMs?: number;
  postgresQueryTimeoutMs?: number;
  onIdleError?: (error: Error) => void;
}

/** Opens the target's store (migrating it); throws StoreError with what to do. */
export async function openStore(target: StoreTarget, options: OpenOptions = {}): Promise<Store> {
  switch (target.kind) {
    case 'sqlite':
      return SqliteStore.open(target.path, { busyTimeoutMs: options.sqliteBusyTimeoutMs ?? 5000 });
    case 'postgres': {
      // A separate file in the release executable: pg is evaluated only here.
      const { PostgresStore } = await import('./postgres.ts');
      return PostgresStore.open(target.url, {
        ...(options.postgresQueryTimeoutMs ? { queryTimeoutMs: options.postgresQueryTimeoutMs } : {}),
        ...(options.onIdleError ? { onIdleError: options.onIdleError } : {}),
      });
    }
    case 'none':
      throw new StoreError(
        `no store configured (${target.reason}): set DATA_DIR (a writable folder) or DATABASE_URL (PostgreSQL) in .env`,
      );
  }
}
