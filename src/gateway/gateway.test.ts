// The gateway against a real SQLite file that the `keys` command's code creates and changes
// behind its back, as an operator would with `docker exec ... keys ...`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createKey, revokeKey } from '../keys/service.ts';
import { Registry } from '../observability/metrics-registry.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { ADMIN, Gateway, type FinishedRequest, type Principal } from './gateway.ts';
import type { GateRefusal } from './refusals.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-gateway-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const silent = { info() {}, warn() {}, error() {} };

async function until<T>(what: string, probe: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = probe();
    if (v) return v;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const isRefusal = (x: unknown): x is GateRefusal => typeof x === 'object' && x !== null && 'status' in x;

function done(over: Partial<FinishedRequest> = {}): FinishedRequest {
  return {
    requestId: 'r1',
    startedAt: Date.now(),
    endpoint: '/v1/chat/completions',
    route: 'gpt-4o',
    provider: 'openai',
    model: 'gpt-4o',
    stream: false,
    status: 200,
    usage: { prompt: 1000, completion: 100, cached: 400 },
    latencyMs: 12.34,
    ttfbMs: 5.01,
    error: undefined,
    ...over,
  };
}

const MODELS = JSON.stringify({
  object: 'list',
  data: [{ id: 'gpt-4o' }, { id: 'gpt-4o-mini' }, { id: 'claude' }],
  has_more: false,
  first_id: 'gpt-4o',
  last_id: 'claude',
});

describe('gateway', () => {
  it('opens nothing until needed, then follows keys changed by the CLI within a poll', async () => {
    const path = join(dir, 'data', 'ai-proxy.db');
    const metrics = new Registry();
    const gw = await Gateway.start({
      target: { kind: 'sqlite', path },
      ledger: { enabled: true, retention_days: 30 },
      prices: { 'gpt-4o*': { input: 2.5, output: 10, cached_input: 1.25 } },
      log: silent,
      metrics,
      keysPollMs: 50,
    });
    try {
      assert.equal(existsSync(path), false, 'no file and no node:sqlite for a proxy without keys or requests');
      assert.equal(gw.health().store.status, 'not opened');
      assert.equal(gw.resolve('aip_notakeynotakeynotakeynotakeynotakeynotakeyx'), undefined);

      const cli = SqliteStore.open(path);
      const { secret } = await createKey(cli, { name: 'alice', models: ['gpt-4o*'], rpm: 2, budgetNano: 1e9 });
      const alice = await until('the new key', () => {
        const p = gw.resolve(secret);
        return p && !isRefusal(p) ? (p as Principal) : undefined;
      });
      assert.equal(alice.name, 'alice');

      assert.equal(gw.checkModel(alice, 'gpt-4o-mini', [{ provider: 'openai', model: 'gpt-4o-mini' }]), undefined);
      assert.deepEqual([gw.checkModel(alice, 'claude', [{ provider: 'anthropic', model: 'claude' }])?.status], [403]);
      const unpriced = gw.checkModel(alice, 'gpt-4o', [
        { provider: 'openai', model: 'gpt-4o' },
        { provider: 'vllm', model: 'llama' },
      ]);
      assert.equal(unpriced?.code, 'model_not_priced');
      assert.match(unpriced!.message, /money budget .* vllm\/llama, which has no price/);
      assert.equal(gw.checkModel(ADMIN, 'anything', []), undefined);

      assert.equal(await gw.admit(alice), undefined);
      assert.equal(await gw.admit(alice), undefined);
      const limited = await gw.admit(alice);
      assert.deepEqual(
        [limited?.status, limited?.type, limited?.code],
        [429, 'rate_limit_error', 'rate_limit_exceeded'],
      );
      assert.match(limited!.headers!['retry-after']!, /^\d+$/);

      gw.finish(alice, done());
      gw.finish(ADMIN, done({ requestId: 'r2', provider: 'vllm', model: 'llama', route: 'llama' }));
      let rows: Awaited<ReturnType<SqliteStore['requests']>>['rows'] = [];
      for (let i = 0; i < 200 && rows.length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        rows = (await cli.requests({ since: Date.now() - 60_000, until: Date.now() + 1000 })).rows;
      }
      const byId = Object.fromEntries(rows.map((r) => [r.requestId, r]));
      // 600 x 2.5 + 400 x 1.25 + 100 x 10 per million tokens = 0.003 = 3,000,000 nano-units.
      assert.deepEqual(
        [byId.r1!.keyId !== null, byId.r1!.costNano, byId.r1!.cachedTokens, byId.r1!.latencyMs, byId.r1!.ttfbMs],
        [true, 3_000_000, 400, 12.3, 5],
      );
      assert.deepEqual([byId.r2!.keyId, byId.r2!.costNano], [null, null], 'admin request, unpriced model');
      const text = metrics.render();
      assert.match(text, /aiproxy_key_requests_total\{key="alice",status="200"\} 1/);
      assert.match(text, /aiproxy_key_cost_total\{key="alice"\} 0\.003/);
      assert.match(text, /aiproxy_key_unpriced_requests_total\{key="admin"\} 1/);
      assert.match(text, /aiproxy_key_refused_total\{key="alice",limit="rpm"\} 1/);

      assert.deepEqual(
        JSON.parse(gw.modelsBody(alice, MODELS, 1)).data.map((m: { id: string }) => m.id),
        ['gpt-4o', 'gpt-4o-mini'],
      );
      assert.equal(gw.modelsBody(ADMIN, MODELS, 1), MODELS);

      await revokeKey(cli, 'alice');
      const revoked = await until('the revocation', () => {
        const p = gw.resolve(secret);
        return isRefusal(p) ? p : undefined;
      });
      assert.deepEqual([revoked.status, revoked.code], [401, 'key_revoked']);
      assert.equal(gw.health().status, 'ok');
      await cli.close();
    } finally {
      await gw.close();
    }
  });

  it('reports a store it cannot open and keeps answering', async () => {
    // DATA_DIR is a file, not a folder: the open fails for real (ENOTDIR).
    writeFileSync(join(dir, 'not-a-folder'), '');
    const gw = await Gateway.start({
      target: { kind: 'sqlite', path: join(dir, 'not-a-folder', 'data', 'ai-proxy.db') },
      ledger: { enabled: true, retention_days: 30 },
      prices: {},
      log: silent,
      metrics: new Registry(),
    });
    try {
      gw.finish(ADMIN, done());
      const health = await until('the ledger failure', () => {
        const h = gw.health();
        return h.ledger.status === 'degraded' ? h : undefined;
      });
      assert.equal(health.status, 'degraded');
      assert.equal(health.store.status, 'error');
      assert.match(health.store.last_error ?? '', /cannot open .*not-a-folder\/data\/ai-proxy\.db: ENOTDIR/);
    } finally {
      await gw.close();
    }
  });
});
