import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Charge, ConnectionShare, MemoryBudget, SMALL_CHARGE_BYTES } from './budget.ts';

describe('MemoryBudget and Charge', () => {
  it('refuses what goes over the budget, and takes nothing then', () => {
    const budget = new MemoryBudget(1_000_000, 100_000);
    const a = new Charge(budget);
    assert.ok(a.tryTake(800_000));
    const b = new Charge(budget);
    assert.equal(b.tryTake(200_000), false);
    assert.equal(b.refusal, 'proxy');
    assert.equal(budget.inUse, 800_000);
    a.release();
    assert.equal(budget.inUse, 0);
    assert.ok(b.tryTake(200_000));
  });

  it('keeps the reserve for small charges', () => {
    const budget = new MemoryBudget(1_000_000, 100_000);
    assert.ok(new Charge(budget).tryTake(900_000));
    const large = new Charge(budget);
    assert.equal(large.tryTake(SMALL_CHARGE_BYTES + 1), false, 'a large charge cannot use the reserve');
    const small = new Charge(budget);
    assert.ok(small.tryTake(SMALL_CHARGE_BYTES), 'a small one can');
    assert.equal(small.tryTake(1), false, 'and stops being small past SMALL_CHARGE_BYTES');
  });

  it('limits what one connection holds, whatever the budget has left', () => {
    const budget = new MemoryBudget(100_000_000, 0);
    const share = new ConnectionShare(10_000_000);
    const first = new Charge(budget, share);
    assert.ok(first.tryTake(8_000_000));
    const pipelined = new Charge(budget, share);
    assert.equal(pipelined.tryTake(4_000_000), false);
    assert.equal(pipelined.refusal, 'connection');
    first.release();
    assert.ok(pipelined.tryTake(4_000_000));
    assert.equal(share.held, 4_000_000);
  });

  it('releases once, however often it is called', () => {
    const budget = new MemoryBudget(1000, 0);
    const c = new Charge(budget);
    c.tryTake(600);
    c.shrink(100);
    assert.equal(budget.inUse, 500);
    c.release();
    c.release();
    assert.equal(budget.inUse, 0);
    assert.equal(c.tryTake(1), false, 'a released charge takes nothing more');
  });
});
