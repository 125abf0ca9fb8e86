// Parsing and printing the limit values operators type: `--rpm 60`, `--tpm 200k`,
// `--budget 20/month`, `--token-budget 5M/day`, `--expires 90d`. Each parser throws KeyError with
// a one-line message saying what to write instead.
import { BUDGET_PERIODS, type BudgetPeriod, KeyError } from './types.ts';

export const NANO = 1_000_000_000;
/** Far above any real limit, far below 2^53: sums of them stay exact in a JS number. */
const MAX_COUNT = 1e15;
const MAX_MONEY_NANO = 1e15; // one million currency units

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 };

/** A whole count: `60`, `200000`, `200k`, `1.5M`. */
export function parseCount(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(text.trim().replace(/_/g, ''));
  const n = m ? Math.round(Number(m[1]) * SUFFIX[m[2]!]!) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_COUNT)
    throw new KeyError('invalid', `${what}: "${text}" is not a positive whole number (e.g. 60, 200k, 1.5M)`);
  return n;
}

/** A money amount in nano-units: `20`, `20.50`, `$20`, `0.05`. */
export function parseMoney(text: string, what: string): number {
  const m = /^\$?(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!m) throw new KeyError('invalid', `${what}: "${text}" is not an amount (e.g. 20 or 12.50)`);
  const nano = Number(m[1]) * NANO + Number((m[2] ?? '').padEnd(9, '0'));
  if (!Number.isSafeInteger(nano) || nano <= 0 || nano > MAX_MONEY_NANO)
    throw new KeyError('invalid', `${what}: "${text}" must be more than 0 and at most ${MAX_MONEY_NANO / NANO}`);
  return nano;
}

function splitPeriod(text: string, what: string, example: string): [string, BudgetPeriod] {
  const slash = text.lastIndexOf('/');
  const period = (slash === -1 ? '' : text.slice(slash + 1).trim()) as BudgetPeriod;
  if (slash === -1 || !BUDGET_PERIODS.includes(period))
    throw new KeyError(
      'invalid',
      `${what}: "${text}" needs a period: AMOUNT/${BUDGET_PERIODS.join('|')} (e.g. ${example})`,
    );
  return [text.slice(0, slash), period];
}

/** `20/month` -> 20 currency units per calendar month (UTC). */
export function parseBudget(text: string): { budgetNano: number; budgetPeriod: BudgetPeriod } {
  const [amount, budgetPeriod] = splitPeriod(text, '--budget', '20/month');
  return { budgetNano: parseMoney(amount, '--budget'), budgetPeriod };
}

/** `5M/day` -> 5,000,000 tokens per calendar day (UTC). */
export function parseTokenBudget(text: string): { budgetTokens: number; budgetPeriod: BudgetPeriod } {
  const [amount, budgetPeriod] = splitPeriod(text, '--token-budget', '5M/day');
  return { budgetTokens: parseCount(amount, '--token-budget'), budgetPeriod };
}

const DURATION_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `2026-12-31` (end of that UTC day), an ISO time, or a duration from now (`12h`, `90d`, `4w`). */
export function parseExpiry(text: string, now: number): number {
  const t = text.trim();
  const rel = /^(\d{1,5})([hdw])$/.exec(t);
  if (rel) return now + Number(rel[1]) * DURATION_MS[rel[2]!]!;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  const at = day ? Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]) + 1) : Date.parse(t);
  const valid = day ? new Date(at - 1).toISOString().slice(0, 10) === t : /^\d{4}-\d{2}-\d{2}T/.test(t);
  if (!valid || !Number.isFinite(at))
    throw new KeyError(
      'invalid',
      `--expires: "${text}" is not a date (2026-12-31, 2026-12-31T18:00:00Z) or a duration (12h, 90d, 4w)`,
    );
  if (at <= now) throw new KeyError('invalid', `--expires: ${new Date(at).toISOString()} is in the past`);
  return at;
}

/** Nano-units as a decimal amount with at least two decimals: 20000000000 -> "20.00". */
export function formatMoney(nano: number): string {
  const sign = nano < 0 ? '-' : '';
  const abs = Math.abs(Math.round(nano));
  const whole = Math.floor(abs / NANO);
  const frac = String(abs % NANO)
    .padStart(9, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  return `${sign}${whole}.${frac}`;
}

/** 1234567 -> "1.2M": for tables; JSON output keeps exact numbers. */
export function formatCount(n: number): string {
  if (n < 10_000) return String(n);
  for (const [suffix, size] of [
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (n >= size) return `${Number((n / size).toFixed(n >= size * 100 ? 0 : 1))}${suffix}`;
  }
  return String(n);
}
