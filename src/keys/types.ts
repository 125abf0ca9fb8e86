// What a client key is, as the store keeps it and as the CLI and (later) the console change it.
// Money is in nano-units of the price table's currency (1 = 1e-9) so sums stay exact integers.

export const BUDGET_PERIODS = ['day', 'week', 'month', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export interface KeyLimits {
  /** Requests per minute; null: no limit. */
  rpm: number | null;
  /** Tokens (input + output) per minute; null: no limit. */
  tpm: number | null;
  /** Money per budget period, in nano-units; null: no money budget. */
  budgetNano: number | null;
  /** Tokens (input + output) per budget period; null: no token budget. */
  budgetTokens: number | null;
  /** When the budgets start over (UTC calendar); `total` never does. */
  budgetPeriod: BudgetPeriod;
}

export interface KeyRecord extends KeyLimits {
  /** Stable public id (`key_...`): what the ledger stores, safe to show and log. */
  id: string;
  /** Unique human name (`alice`): what operators type. */
  name: string;
  /** SHA-256 (hex) of the whole secret key: the only form of the secret that is stored. */
  hash: string;
  /** The key's first characters (`aip_3kQ9x…`), so its owner can tell which key it is. */
  hint: string;
  /** Model patterns the key may use (`gpt-4o*`, `smart`); empty: every model. */
  models: string[];
  metadata: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  /** The store's key version when this row last changed: proxies load only newer rows. */
  version: number;
}

/** What `keys create` (or the console) asks for; the service fills in ids, hash and times. */
export interface NewKey extends Partial<KeyLimits> {
  name: string;
  models?: string[];
  metadata?: Record<string, string>;
  expiresAt?: number | null;
}

/** A change to an existing key: only the given fields change (null removes a limit). */
export type KeyChanges = Partial<KeyLimits> & {
  name?: string;
  models?: string[];
  metadata?: Record<string, string>;
  expiresAt?: number | null;
};

/** The key layer's one error type; `code` says how a caller should answer (exit code, HTTP status). */
export class KeyError extends Error {
  constructor(
    readonly code: 'invalid' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'KeyError';
  }
}

export function keyStatus(
  k: Pick<KeyRecord, 'revokedAt' | 'expiresAt'>,
  now: number,
): 'active' | 'revoked' | 'expired' {
  if (k.revokedAt !== null) return 'revoked';
  if (k.expiresAt !== null && k.expiresAt <= now) return 'expired';
  return 'active';
}
