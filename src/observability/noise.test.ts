import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inMemoryApp, requestInMemory, TEST_TOKEN } from '../http/in-memory.ts';
import { Logger } from './logger.ts';

const yaml = 'providers:\n  - {name: echo, type: echo, models: [echo]}\n';

function appWithLog(level: 'info' | 'debug') {
  let text = '';
  const logger = new Logger(level, { write: (chunk: string) => (text += chunk) });
  const app = inMemoryApp(yaml, {}, logger);
  const lines = () => {
    app.noise.flush();
    logger.flush();
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  return { app, lines };
}

describe('the log under unauthenticated noise', () => {
  it('summarises wrong tokens and unknown paths in one line with a count, not a line per request', async () => {
    const { app, lines } = appWithLog('info');
    for (let i = 0; i < 200; i++) {
      const headers = { authorization: `Bearer guess-${i}` };
      await requestInMemory(app.handle, '/v1/chat/completions', { headers, body: { model: 'echo' } });
      await requestInMemory(app.handle, `/v1/${i}${'a'.repeat(5000)}`);
    }
    const logged = lines();
    assert.equal(logged.length, 1, JSON.stringify(logged.slice(0, 3)));
    assert.equal(logged[0]!.count, 400);
    assert.deepEqual(logged[0]!.statuses, { 401: 200, 404: 200 });
    assert.ok(String(logged[0]!.example_path).length < 400, 'the example path is cut');
  });

  it('still logs each authenticated request, and every request at debug level', async () => {
    const info = appWithLog('info');
    const headers = { authorization: `Bearer ${TEST_TOKEN}` };
    await requestInMemory(info.app.handle, '/v1/chat/completions', { headers, body: { model: 'nope' } });
    await requestInMemory(info.app.handle, '/v1/chat/completions', { headers, body: { model: 'echo', messages: [] } });
    assert.deepEqual(
      info.lines().map((l) => l.status),
      [404, 200],
    );
    const debug = appWithLog('debug');
    for (let i = 0; i < 5; i++) await requestInMemory(debug.app.handle, '/v1/nothing');
    assert.equal(debug.lines().length, 5);
  });

  it('cuts every field a client chooses: a 1 MiB model is not a 1 MiB log line or answer', async () => {
    const { app, lines } = appWithLog('info');
    const headers = { authorization: `Bearer ${TEST_TOKEN}` };
    const model = 'm'.repeat(1024 * 1024);
    const r = await requestInMemory(app.handle, '/v1/chat/completions', { headers, body: { model } });
    assert.equal(r.status, 404);
    assert.ok(r.body.length < 2048, `an answer of ${r.body.length} bytes`);
    const [line] = lines();
    assert.ok(JSON.stringify(line).length < 2048, `a log line of ${JSON.stringify(line).length} bytes`);
    assert.match(String(line!.model), /^m+\.\.\.\(\d+ more characters\)$/);
  });
});
