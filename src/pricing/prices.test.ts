import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProviderConfig } from '../config/provider-config.ts';
import { costOf, PriceTable } from './prices.ts';

const table = new PriceTable({
  'gpt-4o': { input: 2.5, output: 10, cached_input: 1.25 },
  'gpt-4o-mini*': { input: 0.15, output: 0.6 },
  'gpt-4o*': { input: 5, output: 15 },
  'anthropic/claude-sonnet-4-5': { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75 },
  'claude-sonnet-4-5': { input: 99, output: 99 },
});

describe('prices', () => {
  it('finds provider/model before model, exact names before patterns, longer patterns first', () => {
    assert.equal(table.lookup('anthropic', 'claude-sonnet-4-5')?.key, 'anthropic/claude-sonnet-4-5');
    assert.equal(table.lookup('bedrock', 'claude-sonnet-4-5')?.key, 'claude-sonnet-4-5');
    assert.equal(table.lookup('openai', 'gpt-4o')?.key, 'gpt-4o');
    assert.equal(table.lookup('openai', 'gpt-4o-mini-2024-07-18')?.key, 'gpt-4o-mini*');
    assert.equal(table.lookup('azure', 'gpt-4o-2024-08-06')?.key, 'gpt-4o*');
    assert.equal(table.lookup('openai', 'o3'), undefined, 'no price is not a zero price');
  });

  it('prices cached and cache-written prompt tokens at their own rates, in exact nano-units', () => {
    const gpt = table.lookup('openai', 'gpt-4o')!;
    // 1,000 prompt tokens of which 400 cached, 200 output: 600*2.5 + 400*1.25 + 200*10 per million.
    assert.equal(costOf(gpt, { prompt: 1000, completion: 200, cached: 400 }), 4_000_000);
    const claude = table.lookup('anthropic', 'claude-sonnet-4-5')!;
    assert.equal(costOf(claude, { prompt: 1000, completion: 0, cached: 500, cacheWrite: 100 }), 1_725_000);
    const mini = table.lookup('openai', 'gpt-4o-mini')!;
    assert.equal(costOf(mini, { prompt: 1, completion: 0 }), 150, 'fractions of a cent stay exact');
  });

  it('is part of provider-config.yaml, validated', () => {
    const base = 'providers:\n  - {name: e, type: echo, models: [echo]}\n';
    const cfg = parseProviderConfig(`${base}prices:\n  echo: {input: 1, output: 2}\nledger: {retention_days: 30}\n`);
    assert.deepEqual(cfg.prices, { echo: { input: 1, output: 2 } });
    assert.deepEqual(cfg.ledger, { enabled: true, retention_days: 30 });
    assert.throws(() => parseProviderConfig(`${base}prices:\n  echo: {input: -1, output: 2}\n`), /must be 0 or more/);
    assert.throws(() => parseProviderConfig(`${base}prices:\n  echo: {input: 1}\n`), /output/);
    assert.throws(() => parseProviderConfig(`${base}ledger: {retention_days: 0}\n`), /at least 1/);
  });
});
