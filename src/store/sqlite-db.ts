// One SQLite connection through node:sqlite: prepared statements cached by their SQL, write
// transactions that take the lock up front, and SQLite's errors turned into StoreError. The
// SQLite store (sqlite.ts) and its limit counters (sqlite-quota.ts) share it.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StoreError } from './types.ts';

export type Value = string | number | null;
export type Row = Record<string, unknown>;

function sqliteModule(): typeof import('node:sqlite') {
  const mod = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite') | undefined;
  if (!mod)
    throw new StoreError(`node:sqlite is not available in Node ${process.version} (it needs Node 22.5 or newer)`);
  return mod;
}

/**
 * Creates the data folder itself when missing, not its parents: a DATA_DIR whose parent is
 * missing is a mistake worth an error (and Node's recursive mkdir never returns on /proc).
 */
function makeFolder(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export class SqliteDb {
  private readonly statements = new Map<string, StatementSync>();

  private constructor(private readonly db: DatabaseSync) {}

  /** Opens the file (and creates its folder) in WAL mode; `busyTimeoutMs`: how long a write waits for another's. */
  static open(path: string, busyTimeoutMs: number): SqliteDb {
    try {
      if (path !== ':memory:') makeFolder(dirname(path));
      const db = new (sqliteModule().DatabaseSync)(path, { timeout: busyTimeoutMs });
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
      return new SqliteDb(db);
    } catch (error) {
      throw new StoreError(`cannot open ${path}: ${(error as Error).message}`);
    }
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }
  statement(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
  run(sql: string, params: Value[] = []): void {
    this.statement(sql).run(...params);
  }
  get(sql: string, params: Value[] = []): Row | undefined {
    return this.statement(sql).get(...params) as Row | undefined;
  }
  all(sql: string, params: Value[] = []): Row[] {
    return this.statement(sql).all(...params) as Row[];
  }
  /** A one-off query (built per call: usage reports), not cached. */
  query(sql: string, params: (string | number)[]): Row[] {
    return this.db.prepare(sql).all(...params) as Row[];
  }

  /** BEGIN IMMEDIATE: takes the write lock up front, so a transaction never fails half-way on it. */
  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Runs fn, turning SQLite's errors into StoreError that says what was being done. */
  async call<T>(what: string, fn: () => T): Promise<T> {
    try {
      return fn();
    } catch (error) {
      // A RangeError is the caller's query (an empty time range), not the store failing.
      if (error instanceof StoreError || error instanceof RangeError) throw error;
      throw new StoreError(`${what}: ${(error as Error).message}`);
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
