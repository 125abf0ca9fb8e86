// A ledger that cannot be written never fails a request: another process holds the SQLite
// file's write lock (as a backup or a stuck script would), requests with AUTH_TOKEN and with a
// limited client key keep being served, /health and the log say what is wrong, and once the
// lock goes the rows that waited are written.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { createKey } from '../../src/keys/service.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { openaiProvider, startInProcessProxy, TOKEN, type InProcessProxy } from './harness.ts';

interface Health {
  status: string;
  components: { ledger: { status: string; queued: number; last_error: string | null }; limits: { status: string } };
}

describe('a locked ledger database', () => {
  let oa: MockUpstream;
  let px: InProcessProxy;
  let path = '';

  before(async () => {
    oa = await startOpenAIMock();
    px = await startInProcessProxy(`providers:\n${openaiProvider('oa', oa.url, '    models: [gpt-4o]\n')}`, {
      env: 'DATA_DIR=data\n',
    });
    path = join(px.dir, 'data', 'ai-proxy.db');
  });
  after(async () => {
    await px?.close();
    await oa?.close();
  });

  const health = async () => (await (await fetch(`${px.url}/health`)).json()) as Health;

  it('serves every request, reports it, and writes the waiting rows once the lock is gone', async () => {
    const cli = SqliteStore.open(path);
    const { secret } = await createKey(cli, { name: 'busy', rpm: 1000, tpm: 1_000_000 });
    await cli.close();
    const admin = new OpenAI({ baseURL: `${px.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
    const client = new OpenAI({ baseURL: `${px.url}/v1`, apiKey: secret, maxRetries: 0 });
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${px.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
      if (r.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    const locker = new DatabaseSync(path);
    locker.exec('BEGIN EXCLUSIVE');
    try {
      for (let i = 0; i < 10; i++) {
        const r = await (i % 2 ? client : admin).chat.completions.create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: `request ${i}` }],
        });
        assert.equal(r.choices[0]!.message.content, `mock-openai: request ${i}`);
      }
      // The log is written in batches (a few ms after the line): wait for it as for /health.
      const logged = (text: string) => px.logs.some((l) => l.includes(text) && l.includes('database is locked'));
      let h = await health();
      for (
        let i = 0;
        i < 100 && (h.components.ledger.status === 'ok' || !logged('ledger rows cannot be written'));
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        h = await health();
      }
      assert.equal(h.status, 'degraded', JSON.stringify(h));
      assert.equal(h.components.ledger.status, 'degraded');
      assert.match(h.components.ledger.last_error ?? '', /database is locked/);
      assert.equal(h.components.ledger.queued, 10, 'the rows wait in memory');
      assert.ok(logged('ledger rows cannot be written'), 'the log says so');
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }

    const recovered = () => px.logs.some((l) => l.includes('ledger rows are written again'));
    let h = await health();
    for (let i = 0; i < 400 && (h.components.ledger.queued > 0 || h.status !== 'ok' || !recovered()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      h = await health();
    }
    assert.equal(h.status, 'ok');
    assert.ok(recovered(), 'the log says the rows are written again');
    const store = SqliteStore.open(path);
    const rows = await store.requests({ since: Date.now() - 60_000, until: Date.now() + 1000 });
    await store.close();
    assert.equal(rows.rows.filter((r) => r.endpoint === '/v1/chat/completions').length, 10);
  });
});
