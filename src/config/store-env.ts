// Where client keys and the usage ledger are kept: DATABASE_URL or DATA_DIR (docs/keys.md).
import { EnvError } from './env-values.ts';

/** DATABASE_URL wins over DATA_DIR; DATA_DIR may be relative to the config folder. */
export interface StoreEnv {
  databaseUrl: string | undefined;
  dataDir: string | undefined;
}

/** The store's variables: DATABASE_URL (PostgreSQL, shared by replicas) or DATA_DIR (SQLite file). */
export function validateStoreEnv(record: Record<string, string | undefined>): StoreEnv {
  const databaseUrl = record.DATABASE_URL?.trim() || undefined;
  const dataDir = record.DATA_DIR?.trim() || undefined;
  if (databaseUrl !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(databaseUrl).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:')
      throw new EnvError('DATABASE_URL: expected postgres://USER:PASSWORD@HOST:5432/DATABASE');
  }
  if (dataDir !== undefined && /[\0\n]/.test(dataDir)) throw new EnvError('DATA_DIR: not a usable folder path');
  return { databaseUrl, dataDir };
}
