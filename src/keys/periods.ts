// Budget periods on the UTC calendar: a day starts at 00:00 UTC, a week on Monday, a month on
// the 1st. Calendar boundaries (not "30 days after the first request") are what every replica
// computes alike without asking anyone, and what an operator expects from "20/month".
import type { BudgetPeriod } from './types.ts';

const DAY_MS = 86_400_000;

/** When the period that contains `now` began (ms since the epoch); 0 for `total`. */
export function periodStart(period: BudgetPeriod, now: number): number {
  const d = new Date(now);
  switch (period) {
    case 'day':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case 'week': {
      const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      // getUTCDay: Sunday 0 ... Saturday 6; weeks start on Monday (ISO 8601).
      return day - ((d.getUTCDay() + 6) % 7) * DAY_MS;
    }
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'total':
      return 0;
  }
}

/** When the period that contains `now` ends (the next reset); undefined for `total`. */
export function periodEnd(period: BudgetPeriod, now: number): number | undefined {
  const start = periodStart(period, now);
  switch (period) {
    case 'day':
      return start + DAY_MS;
    case 'week':
      return start + 7 * DAY_MS;
    case 'month': {
      const d = new Date(start);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
    case 'total':
      return undefined;
  }
}

/** "this month", "today", ...: how a message names the current period. */
export function periodPhrase(period: BudgetPeriod): string {
  return { day: 'today', week: 'this week', month: 'this month', total: 'in total' }[period];
}
