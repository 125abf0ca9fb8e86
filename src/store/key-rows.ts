// api_keys rows <-> KeyRecord, the same for both back ends (lists and maps as JSON text).
import type { BudgetPeriod, KeyRecord } from '../keys/types.ts';

export const KEY_COLUMNS = [
  'id',
  'name',
  'hash',
  'hint',
  'models',
  'rpm',
  'tpm',
  'budget_nano',
  'budget_tokens',
  'budget_period',
  'metadata',
  'created_at',
  'updated_at',
  'expires_at',
  'revoked_at',
  'version',
] as const;

const orNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function keyFromRow(r: Record<string, unknown>): KeyRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    hash: String(r.hash),
    hint: String(r.hint),
    models: JSON.parse(String(r.models)) as string[],
    rpm: orNull(r.rpm),
    tpm: orNull(r.tpm),
    budgetNano: orNull(r.budget_nano),
    budgetTokens: orNull(r.budget_tokens),
    budgetPeriod: String(r.budget_period) as BudgetPeriod,
    metadata: JSON.parse(String(r.metadata)) as Record<string, string>,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    expiresAt: orNull(r.expires_at),
    revokedAt: orNull(r.revoked_at),
    version: Number(r.version),
  };
}

/** The row's values in KEY_COLUMNS order. */
export function keyValues(k: Omit<KeyRecord, 'version'>, version: number): (string | number | null)[] {
  return [
    k.id,
    k.name,
    k.hash,
    k.hint,
    JSON.stringify(k.models),
    k.rpm,
    k.tpm,
    k.budgetNano,
    k.budgetTokens,
    k.budgetPeriod,
    JSON.stringify(k.metadata),
    k.createdAt,
    k.updatedAt,
    k.expiresAt,
    k.revokedAt,
    version,
  ];
}
