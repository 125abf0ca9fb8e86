// `keys create` / `keys update` flags -> what the key service takes. Values are parsed by the
// key layer's parsers (src/keys/limits.ts), so the console can reuse the same rules.
import { parseBudget, parseCount, parseExpiry, parseTokenBudget } from '../keys/limits.ts';
import { splitPatterns } from '../keys/patterns.ts';
import { type BudgetPeriod, KeyError, type KeyChanges, type KeyRecord, type NewKey } from '../keys/types.ts';
import type { CommandLine } from './args.ts';

export const KEY_VALUE_FLAGS = ['name', 'models', 'rpm', 'tpm', 'budget', 'token-budget', 'expires'] as const;

/** `--meta team=ml`: an entry; `--meta team=` (update only): remove it. */
function parseMeta(entries: string[] | undefined, allowRemove: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const entry of entries ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new KeyError('invalid', `--meta: "${entry.slice(0, 70)}" is not NAME=VALUE`);
    const value = entry.slice(eq + 1);
    if (value === '' && !allowRemove) throw new KeyError('invalid', `--meta ${entry}: the value is empty`);
    out[entry.slice(0, eq)] = value === '' ? null : value;
  }
  return out;
}

/** Both budgets of a key share one period: flags that set them must agree. */
function budgetFlags(v: Record<string, string>): Partial<NewKey> & { period?: BudgetPeriod } {
  const money = v.budget !== undefined && v.budget !== 'none' ? parseBudget(v.budget) : undefined;
  const tokens =
    v['token-budget'] !== undefined && v['token-budget'] !== 'none' ? parseTokenBudget(v['token-budget']) : undefined;
  if (money && tokens && money.budgetPeriod !== tokens.budgetPeriod)
    throw new KeyError('invalid', '--budget and --token-budget must use the same period (a key has one budget period)');
  const period = money?.budgetPeriod ?? tokens?.budgetPeriod;
  return {
    ...(money ? { budgetNano: money.budgetNano } : {}),
    ...(tokens ? { budgetTokens: tokens.budgetTokens } : {}),
    ...(period ? { budgetPeriod: period, period } : {}),
  };
}

export function newKeyFromFlags(cl: CommandLine, now: number): NewKey {
  const v = cl.values;
  if (!v.name) throw new KeyError('invalid', 'keys create: --name is required (e.g. --name alice)');
  for (const flag of ['rpm', 'tpm', 'budget', 'token-budget'] as const)
    if (v[flag] === 'none') throw new KeyError('invalid', `--${flag} none: leave the option out instead`);
  const meta = parseMeta(cl.lists.meta, false) as Record<string, string>;
  const { period: _, ...budgets } = budgetFlags(v);
  return {
    name: v.name,
    ...(v.models !== undefined ? { models: splitPatterns(v.models) } : {}),
    ...(v.rpm !== undefined ? { rpm: parseCount(v.rpm, '--rpm') } : {}),
    ...(v.tpm !== undefined ? { tpm: parseCount(v.tpm, '--tpm') } : {}),
    ...budgets,
    ...(v.expires !== undefined ? { expiresAt: parseExpiry(v.expires, now) } : {}),
    metadata: meta,
  };
}

/** `none` removes a limit, `--expires never` the expiry, `--models '*'` the allow-list. */
export function changesFromFlags(cl: CommandLine, current: KeyRecord, now: number): KeyChanges {
  const v = cl.values;
  const changes: KeyChanges = {};
  if (v.name !== undefined) changes.name = v.name;
  if (v.models !== undefined) {
    const models = splitPatterns(v.models);
    changes.models = models.includes('*') ? [] : models;
  }
  if (v.rpm !== undefined) changes.rpm = v.rpm === 'none' ? null : parseCount(v.rpm, '--rpm');
  if (v.tpm !== undefined) changes.tpm = v.tpm === 'none' ? null : parseCount(v.tpm, '--tpm');
  const { period, ...budgets } = budgetFlags(v);
  if (v.budget === 'none') changes.budgetNano = null;
  if (v['token-budget'] === 'none') changes.budgetTokens = null;
  Object.assign(changes, budgets);
  if (period !== undefined && period !== current.budgetPeriod) {
    // Changing one budget's period would silently change the other's.
    const other =
      changes.budgetNano === undefined && current.budgetNano !== null && v.budget === undefined
        ? '--budget'
        : changes.budgetTokens === undefined && current.budgetTokens !== null && v['token-budget'] === undefined
          ? '--token-budget'
          : undefined;
    if (other)
      throw new KeyError(
        'invalid',
        `key "${current.name}" has a budget per ${current.budgetPeriod}: give ${other} with the new period too (a key has one budget period)`,
      );
  }
  if (v.expires !== undefined) changes.expiresAt = v.expires === 'never' ? null : parseExpiry(v.expires, now);
  if (cl.lists.meta) {
    const metadata = { ...current.metadata };
    for (const [name, value] of Object.entries(parseMeta(cl.lists.meta, true))) {
      if (value === null) delete metadata[name];
      else metadata[name] = value;
    }
    changes.metadata = metadata;
  }
  if (Object.keys(changes).length === 0)
    throw new KeyError(
      'invalid',
      'keys update: nothing to change (give --name, --models, --rpm, --tpm, --budget, --token-budget, --expires or --meta)',
    );
  return changes;
}
