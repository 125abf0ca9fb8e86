// The PostgreSQL connection pool with what both halves of the store need (postgres.ts,
// postgres-quota.ts): queries, transactions on one client, and pg's errors turned into StoreError.
import pg from 'pg';
import { StoreError } from './types.ts';

export type Row = Record<string, unknown>;
export type Value = string | number | null | (string | number | null)[];

export class PgDb {
  constructor(readonly pool: pg.Pool) {}

  async rows(sql: string, params: Value[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query(begin);
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (error) {
      await c.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      c.release();
    }
  }

  /** Runs fn, turning pg's errors into StoreError that says what was being done. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      // A RangeError is the caller's query (an empty time range), not the store failing.
      if (error instanceof StoreError || error instanceof RangeError) throw error;
      throw new StoreError(`${what}: ${(error as Error).message}`);
    }
  }
}
