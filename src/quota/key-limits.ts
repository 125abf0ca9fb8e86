// Which counters a key's limits mean at a given moment: per-minute limits count in the current
// minute, budgets in the key's current period (day, week, month or all time).
import { periodStart } from '../keys/periods.ts';
import type { KeyRecord } from '../keys/types.ts';
import { MINUTE_MS, type CounterRef } from './grant.ts';

export type LimitedKey = Pick<
  KeyRecord,
  'id' | 'name' | 'rpm' | 'tpm' | 'budgetNano' | 'budgetTokens' | 'budgetPeriod'
>;

export interface KeyLimit {
  ref: CounterRef;
  limit: number;
}

/** The limits of a key as counters for the moment `now` (none for a key without limits). */
export function limitsOf(k: LimitedKey, now: number): KeyLimit[] {
  const out: KeyLimit[] = [];
  const minute = now - (now % MINUTE_MS);
  if (k.rpm !== null) out.push({ ref: { keyId: k.id, metric: 'rpm', window: minute }, limit: k.rpm });
  if (k.tpm !== null) out.push({ ref: { keyId: k.id, metric: 'tpm', window: minute }, limit: k.tpm });
  const period = periodStart(k.budgetPeriod, now);
  if (k.budgetNano !== null) out.push({ ref: { keyId: k.id, metric: 'budget', window: period }, limit: k.budgetNano });
  if (k.budgetTokens !== null)
    out.push({ ref: { keyId: k.id, metric: 'token_budget', window: period }, limit: k.budgetTokens });
  return out;
}
