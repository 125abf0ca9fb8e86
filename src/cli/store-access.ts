// Opening the store for the `keys` and `usage` commands, with the command-line answer to each
// failure: no store configured is a configuration problem (78), one that cannot be reached is
// unavailable (69).
import { resolveConfigDir } from '../config/dir.ts';
import { ExitError } from '../exit-error.ts';
import { openStore, readStoreTarget } from '../store/open.ts';
import { isStoreError, type Store } from '../store/types.ts';

export const EX_UNAVAILABLE = 69;
export const EX_CONFIG = 78;

export async function openCommandStore(configDirFlag: string | undefined): Promise<Store> {
  const dir = resolveConfigDir(configDirFlag);
  let target;
  try {
    target = readStoreTarget(dir);
  } catch (error) {
    if (isStoreError(error)) throw new ExitError(EX_CONFIG, error.message);
    throw error;
  }
  if (target.kind === 'none')
    throw new ExitError(
      EX_CONFIG,
      `no key store: ${target.reason}`,
      'set DATA_DIR (a writable folder) or DATABASE_URL (PostgreSQL) in .env; the installed container has DATA_DIR=/app/data',
    );
  try {
    return await openStore(target, { sqliteBusyTimeoutMs: 5000 });
  } catch (error) {
    if (isStoreError(error)) throw new ExitError(EX_UNAVAILABLE, error.message);
    throw error;
  }
}

/** Runs fn with the store open and closes it whatever happens. */
export async function withStore<T>(configDirFlag: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openCommandStore(configDirFlag);
  try {
    return await fn(store);
  } catch (error) {
    if (isStoreError(error)) throw new ExitError(EX_UNAVAILABLE, error.message);
    throw error;
  } finally {
    await store.close();
  }
}
