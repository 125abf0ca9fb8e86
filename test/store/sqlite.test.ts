// The store contract against the real SQLite (node:sqlite), in a temp file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { storeContract } from './contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-sqlite-'));
const path = join(dir, 'data', 'ai-proxy.db');
after(() => rmSync(dir, { recursive: true, force: true }));

storeContract('SQLite', {
  open: async () => SqliteStore.open(path),
  reopen: async () => SqliteStore.open(path),
  exec: async (sql) => {
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    const db = new DatabaseSync(path, { timeout: 5000 });
    db.exec(sql);
    db.close();
  },
});
