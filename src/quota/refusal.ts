// What a key is told when one of its limits refuses a request: which limit, and when to retry.
import { formatMoney } from '../keys/limits.ts';
import { periodEnd, periodPhrase } from '../keys/periods.ts';
import type { KeyRecord } from '../keys/types.ts';
import { secondsUntilRoom, type CounterRef, type LeaseGrant, type QuotaMetric } from './grant.ts';

export interface Refusal {
  metric: QuotaMetric;
  /** Seconds until a retry can succeed; null when the budget never resets (`total`). */
  retryAfterS: number | null;
  message: string;
}

/**
 * The refusal for a counter out of room. `seen.used` is everything this process knows to be used
 * or leased in the window (committed, other holders' leases, its own pending).
 */
export function refusalOf(
  k: Pick<KeyRecord, 'name' | 'budgetPeriod'>,
  ref: CounterRef,
  limit: number,
  seen: Omit<LeaseGrant, 'grant'>,
  now: number,
): Refusal {
  const who = `key "${k.name}"`;
  switch (ref.metric) {
    case 'rpm':
    case 'tpm': {
      const retry = secondsUntilRoom(limit, seen.used, seen.previousUsed, ref.window, now, 1);
      const what = ref.metric === 'rpm' ? 'requests' : 'tokens';
      return {
        metric: ref.metric,
        retryAfterS: retry,
        message: `${who} reached its limit of ${limit} ${what} per minute (${ref.metric}); retry after ${retry} s`,
      };
    }
    case 'budget':
    case 'token_budget': {
      const resets = periodEnd(k.budgetPeriod, now);
      const amount = ref.metric === 'budget' ? formatMoney(limit) : `${limit} tokens`;
      const which = ref.metric === 'budget' ? 'budget' : 'token budget';
      const when = resets === undefined ? ' (it does not reset)' : ` (it resets at ${new Date(resets).toISOString()})`;
      return {
        metric: ref.metric,
        retryAfterS: resets === undefined ? null : Math.max(1, Math.ceil((resets - now) / 1000)),
        message: `${who} has used its ${which} of ${amount} ${periodPhrase(k.budgetPeriod)}${when}`,
      };
    }
  }
}
