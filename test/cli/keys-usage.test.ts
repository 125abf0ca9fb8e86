// `ai-proxy keys` and `ai-proxy usage` as an operator runs them: the real entry point in a
// child process, a config folder with DATA_DIR, and the SQLite file it creates.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashKey } from '../../src/keys/format.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { row } from '../store/contract.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
const TOKEN = 'cli-test-token-0123456789abcdef0123456789';

function cli(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args, '--config-dir', dir], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('keys and usage commands', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'aip-cli-'));
    writeFileSync(join(dir, '.env'), `AUTH_TOKEN=${TOKEN}\nDATA_DIR=data\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a key, prints it alone on stdout once, and stores only its hash', async () => {
    const r = cli(
      dir,
      'keys',
      'create',
      '--name',
      'alice',
      '--models',
      'gpt-4o*,smart',
      '--rpm',
      '60',
      '--tpm',
      '200k',
      '--budget',
      '20/month',
      '--meta',
      'team=ml',
    );
    assert.equal(r.code, 0, r.stderr);
    const secret = r.stdout.trim();
    assert.match(secret, /^aip_[0-9A-Za-z]{43}$/);
    assert.match(r.stderr, /created key "alice" \(key_[a-z0-9]{12}\)/);
    assert.match(r.stderr, /models: gpt-4o\*, smart {3}rpm: 60 {3}tpm: 200000 {3}budget: 20\.00\/month/);
    const store = SqliteStore.open(join(dir, 'data', 'ai-proxy.db'));
    const [key] = await store.listKeys();
    await store.close();
    assert.equal(key!.hash, hashKey(secret));
    assert.ok(!JSON.stringify(key).includes(secret.slice(4)), 'the secret itself is nowhere in the store');
  });

  it('lists keys as a table and as JSON, with the budget used this period', () => {
    const table = cli(dir, 'keys', 'list');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME +ID +KEY +MODELS +RPM +TPM +BUDGET +USED +EXPIRES +STATUS$/m);
    assert.match(
      table.stdout,
      /^alice +key_\w+ +aip_\w{6}… +gpt-4o\*,smart +60 +200k +20\.00\/month +0\.00 \(0%\) +- +active$/m,
    );
    const json = JSON.parse(cli(dir, 'keys', 'list', '--json').stdout);
    assert.equal(json.length, 1);
    assert.deepEqual(
      [json[0].name, json[0].rpm, json[0].budget, json[0].budget_period, json[0].metadata, json[0].budget_used.cost],
      ['alice', 60, '20.00', 'month', { team: 'ml' }, '0.00'],
    );
    assert.equal(json[0].hash, undefined);
  });

  it('changes, rotates and revokes keys by name', () => {
    let r = cli(dir, 'keys', 'update', 'alice', '--rpm', 'none', '--token-budget', '5M/month', '--meta', 'team=');
    assert.equal(r.code, 0, r.stderr);
    let show = JSON.parse(cli(dir, 'keys', 'show', 'alice', '--json').stdout);
    assert.deepEqual([show.rpm, show.token_budget, show.metadata], [null, 5_000_000, {}]);
    r = cli(dir, 'keys', 'update', 'alice', '--budget', '5/day');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has a budget per month: give --token-budget with the new period too/);
    r = cli(dir, 'keys', 'rotate', 'alice');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^aip_\w{43}$/);
    r = cli(dir, 'keys', 'revoke', 'alice');
    assert.equal(r.code, 0);
    assert.match(r.stderr, /revoked key "alice" \(key_\w+\): it stops working within a second/);
    show = JSON.parse(cli(dir, 'keys', 'show', 'alice', '--json').stdout);
    assert.equal(show.status, 'revoked');
    assert.equal(cli(dir, 'keys', 'list').stdout.includes('alice'), false, 'revoked keys need --all');
    assert.match(cli(dir, 'keys', 'list', '--all').stdout, /alice .* revoked/);
  });

  it('answers mistakes with one line and a documented exit code', () => {
    const cases: [string[], number, RegExp][] = [
      [['keys', 'show', 'nobody'], 1, /no key named "nobody"/],
      [['keys', 'create', '--name', 'x', '--rpm', 'lots'], 2, /--rpm: "lots" is not a positive whole number/],
      [['keys', 'create', '--name', 'x', '--budget', '20'], 2, /needs a period/],
      [['keys', 'frob'], 2, /unknown command "frob"/],
      [['keys', 'create', '--name', 'admin'], 2, /reserved/],
      [['usage', '--by', 'planet'], 2, /--by "planet" is not one of/],
      [['usage', '--since', 'yesterday'], 2, /--since "yesterday" is not a time/],
    ];
    for (const [args, code, message] of cases) {
      const r = cli(dir, ...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
    const noStore = mkdtempSync(join(tmpdir(), 'aip-cli-none-'));
    writeFileSync(join(noStore, '.env'), `AUTH_TOKEN=${TOKEN}\n`);
    const r = cli(noStore, 'keys', 'list');
    rmSync(noStore, { recursive: true, force: true });
    assert.equal(r.code, 78);
    assert.match(r.stderr, /no key store: neither DATABASE_URL nor DATA_DIR is set/);
  });

  it('reports usage by key and model, as a table, JSON and CSV, with unpriced requests apart', async () => {
    const store = SqliteStore.open(join(dir, 'data', 'ai-proxy.db'));
    const [alice] = await store.listKeys();
    const ts = Date.now() - 3_600_000;
    await store.insertRows([
      row({ ts, keyId: alice!.id, costNano: 1_500_000_000, inputTokens: 1000, outputTokens: 100, cachedTokens: 200 }),
      row({ ts, keyId: alice!.id, requestId: 'r2', costNano: 500_000_000 }),
      row({ ts, keyId: null, model: 'local-llm', provider: 'vllm', costNano: null }),
    ]);
    await store.close();
    const json = JSON.parse(cli(dir, 'usage', '--by', 'key,model', '--since', '1d', '--json').stdout);
    const byName = Object.fromEntries(json.groups.map((g: Record<string, unknown>) => [g.key_name, g]));
    assert.deepEqual(
      [byName.alice.requests, byName.alice.cost, byName.alice.input_tokens, byName.alice.cached_tokens],
      [2, '2.00', 1100, 200],
    );
    assert.deepEqual(
      [
        byName['admin (AUTH_TOKEN)'].model,
        byName['admin (AUTH_TOKEN)'].cost,
        byName['admin (AUTH_TOKEN)'].unpriced_requests,
      ],
      ['local-llm', '0.00', 1],
    );
    const table = cli(dir, 'usage', '--by', 'provider').stdout;
    assert.match(table, /^PROVIDER +REQUESTS +ERRORS +INPUT +OUTPUT +CACHED +COST +UNPRICED +AVG MS$/m);
    assert.match(table, /^vllm +1 +0 +100 +20 +0 +0\.00 +1 +13$/m);
    const csv = cli(dir, 'usage', '--by', 'key', '--key', 'alice', '--csv').stdout.split('\r\n');
    assert.equal(
      csv[0],
      'key,key_name,requests,errors,input_tokens,output_tokens,cached_tokens,cost,unpriced_requests,avg_latency_ms,max_latency_ms,avg_ttfb_ms',
    );
    assert.match(csv[1]!, /^key_\w+,alice,2,0,1100,120,200,2\.00,0,12\.5,12\.5,10$/);
  });
});
