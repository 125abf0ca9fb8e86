// How a key looks outside the process: the JSON of `keys list --json` (and, later, of the
// console's API) and the short limit texts of the table. The hash is never shown.
import { formatCount, formatMoney } from './limits.ts';
import type { BudgetStatus } from './service.ts';
import { keyStatus, type KeyRecord } from './types.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function keyJson(k: KeyRecord, now: number, budget?: BudgetStatus): Record<string, unknown> {
  return {
    id: k.id,
    name: k.name,
    hint: k.hint,
    status: keyStatus(k, now),
    models: k.models,
    rpm: k.rpm,
    tpm: k.tpm,
    budget: k.budgetNano === null ? null : formatMoney(k.budgetNano),
    token_budget: k.budgetTokens,
    budget_period: k.budgetPeriod,
    ...(budget
      ? {
          budget_used: {
            cost: budget.costNano === null ? null : formatMoney(budget.costNano),
            tokens: budget.tokens,
            fraction: Math.round(budget.fraction * 10_000) / 10_000,
            period_start: iso(budget.periodStart),
            resets_at: iso(budget.resetsAt),
          },
        }
      : {}),
    metadata: k.metadata,
    created_at: iso(k.createdAt),
    updated_at: iso(k.updatedAt),
    expires_at: iso(k.expiresAt),
    revoked_at: iso(k.revokedAt),
  };
}

/** "20.00/month", "5M tok/day", "20.00 + 5M tok/month", or "-". */
export function budgetText(k: KeyRecord): string {
  const parts = [
    ...(k.budgetNano !== null ? [formatMoney(k.budgetNano)] : []),
    ...(k.budgetTokens !== null ? [`${formatCount(k.budgetTokens)} tok`] : []),
  ];
  return parts.length === 0 ? '-' : `${parts.join(' + ')}/${k.budgetPeriod}`;
}

/** What is used of the budget this period: "12.34 (62%)". */
export function budgetUsedText(b: BudgetStatus | undefined): string {
  if (!b) return '-';
  const parts = [
    ...(b.costNano !== null ? [formatMoney(b.costNano)] : []),
    ...(b.tokens !== null ? [`${formatCount(b.tokens)} tok`] : []),
  ];
  return `${parts.join(' + ')} (${Math.round(b.fraction * 100)}%)`;
}
