// A request's failed attempts reach its ledger row: a retried 500 and a fallback to the next
// target, through the real proxy (SQLite ledger) and the real openai SDK, read back as the
// console's request page reads them.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import { loadConfig } from '../../src/config/load.ts';
import { ProxyServer } from '../../src/http/server.ts';
import { Logger } from '../../src/observability/logger.ts';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import { openaiProvider, TOKEN, writeConfigDir } from './harness.ts';

test('the ledger row of a request keeps its retried and fallen-back attempts', async () => {
  const [first, second] = await Promise.all([startOpenAIMock(), startOpenAIMock()]);
  const yaml = `providers:\n${openaiProvider('first', first.url, '    max_retries: 1\n')}${openaiProvider('second', second.url)}routes:\n  fb: [first/m1, second/m2]\nserver:\n  retry_base_delay: 0.01\n`;
  const dir = writeConfigDir(yaml, `DATA_DIR=${'data'}\n`);
  const proxy = new ProxyServer(loadConfig(dir, {}), { logger: new Logger('silent') });
  try {
    await proxy.startGateway();
    const { port } = await proxy.listen(0, '127.0.0.1');
    const client = new OpenAI({ apiKey: TOKEN, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    first.script({ kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    await client.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: 'hi' }] });
    await client.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: 'again' }] });
  } finally {
    // Shutting down writes what the ledger queue holds.
    await proxy.shutdown(1000);
    await Promise.all([first.close(), second.close()]);
  }
  const store = SqliteStore.open(join(dir, 'data', DATABASE_FILE));
  try {
    const { rows } = await store.requests({ since: Date.now() - 60_000, until: Date.now() + 1 });
    const [plain, fallen] = rows;
    assert.equal(plain?.attempts, null, 'answered at the first attempt: no trail');
    assert.equal(fallen?.provider, 'second');
    assert.deepEqual(
      fallen?.attempts?.map((a) => [a.provider, a.model, a.status]),
      [
        ['first', 'm1', 502],
        ['first', 'm1', 502],
      ],
    );
    assert.ok(fallen?.attempts?.every((a) => a.error.length > 0 && a.ms >= 0));
    assert.ok(Number.isInteger(fallen?.ts), 'whole milliseconds');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
