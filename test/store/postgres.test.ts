// The store contract against a real PostgreSQL server (a throwaway one, see pg-server.ts).
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres.ts';
import { storeContract } from './contract.ts';
import { postgresSkip, startPostgres, type PgServer } from './pg-server.ts';

const skip = postgresSkip();

describe('PostgreSQL', { skip }, () => {
  let server: PgServer;
  let url = '';
  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase('contract');
  });
  after(async () => {
    await server?.stop();
  });
  storeContract('PostgreSQL', {
    open: () => PostgresStore.open(url),
    reopen: () => PostgresStore.open(url),
    exec: async (sql) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
  });
});
