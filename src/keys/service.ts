// Key management: the one implementation behind `ai-proxy keys ...` and, later, the console.
// Validates what is asked, generates the secret (returned once, never stored), and writes
// through the store, whose version bump makes every running proxy pick the change up.
import { generateKey, generateKeyId, hashKey, keyHint } from './format.ts';
import { patternProblem } from './patterns.ts';
import { periodEnd, periodStart } from './periods.ts';
import { BUDGET_PERIODS, KeyError, type KeyChanges, type KeyRecord, type NewKey } from './types.ts';
import { ADMIN_KEY_ID } from '../ledger/query.ts';
import type { CounterRef } from '../quota/grant.ts';
import { isStoreError, type Store } from '../store/types.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const META_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_META = 50;
const MAX_META_VALUE = 500;

export interface CreatedKey {
  key: KeyRecord;
  /** The secret key: shown to its owner once, then only its hash exists. */
  secret: string;
}

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new KeyError(
      'invalid',
      `name "${name.slice(0, 70)}": use 1-64 letters, digits, ".", "_", "-" or "@", starting with a letter or digit`,
    );
  if (name.startsWith('key_') || name === ADMIN_KEY_ID)
    throw new KeyError('invalid', `name "${name}" is reserved (key ids start with key_; "admin" means AUTH_TOKEN)`);
}

function checkLimit(value: number | null | undefined, what: string): void {
  if (value === null || value === undefined) return;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new KeyError('invalid', `${what} must be a whole number of at least 1`);
}

/** Every rule a key's fields must satisfy, whoever sets them (CLI flags are parsed before this). */
function validate(k: Omit<KeyRecord, 'version'>): void {
  checkName(k.name);
  const problem = patternProblem(k.models);
  if (problem) throw new KeyError('invalid', problem);
  checkLimit(k.rpm, 'rpm');
  checkLimit(k.tpm, 'tpm');
  checkLimit(k.budgetNano, 'budget');
  checkLimit(k.budgetTokens, 'token budget');
  if (!BUDGET_PERIODS.includes(k.budgetPeriod))
    throw new KeyError('invalid', `budget period must be one of ${BUDGET_PERIODS.join(', ')}`);
  const meta = Object.entries(k.metadata);
  if (meta.length > MAX_META) throw new KeyError('invalid', `at most ${MAX_META} metadata entries`);
  for (const [name, value] of meta) {
    if (!META_KEY.test(name))
      throw new KeyError('invalid', `metadata name "${name.slice(0, 70)}": use 1-64 letters, digits, ".", "_" or "-"`);
    if (typeof value !== 'string' || value.length > MAX_META_VALUE)
      throw new KeyError(
        'invalid',
        `metadata "${name}": the value must be text of at most ${MAX_META_VALUE} characters`,
      );
  }
  if (k.expiresAt !== null && !Number.isSafeInteger(k.expiresAt))
    throw new KeyError('invalid', 'expiry must be a time (ms since the epoch)');
}

/** A duplicate name that slipped past the check (two creations at once) is a conflict too. */
async function writing<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isStoreError(error) && /unique|duplicate/i.test(error.message))
      throw new KeyError('conflict', `a key named "${name}" exists already`);
    throw error;
  }
}

export async function createKey(store: Store, input: NewKey, now = Date.now()): Promise<CreatedKey> {
  const secret = generateKey();
  const record: Omit<KeyRecord, 'version'> = {
    id: generateKeyId(),
    name: input.name,
    hash: hashKey(secret),
    hint: keyHint(secret),
    models: input.models ?? [],
    rpm: input.rpm ?? null,
    tpm: input.tpm ?? null,
    budgetNano: input.budgetNano ?? null,
    budgetTokens: input.budgetTokens ?? null,
    budgetPeriod: input.budgetPeriod ?? 'month',
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
    expiresAt: input.expiresAt ?? null,
    revokedAt: null,
  };
  validate(record);
  const existing = await store.findKey({ name: record.name });
  if (existing && existing.revokedAt === null)
    throw new KeyError('conflict', `a key named "${record.name}" exists already`);
  const key = await writing(record.name, () => store.insertKey(record));
  return { key, secret };
}

/** A key by id (`key_...`) or by name (the active key of that name, else the newest revoked one). */
export async function findKey(store: Store, ref: string): Promise<KeyRecord> {
  const key = ref.startsWith('key_') ? await store.findKey({ id: ref }) : await store.findKey({ name: ref });
  if (!key) throw new KeyError('not_found', `no key named "${ref.slice(0, 70)}" (ai-proxy keys list shows them)`);
  return key;
}

async function findChangeable(store: Store, ref: string, what: string): Promise<KeyRecord> {
  const key = await findKey(store, ref);
  if (key.revokedAt !== null)
    throw new KeyError('conflict', `key "${key.name}" (${key.id}) is revoked and cannot be ${what}; create a new key`);
  return key;
}

export async function updateKey(store: Store, ref: string, changes: KeyChanges, now = Date.now()): Promise<KeyRecord> {
  const key = await findChangeable(store, ref, 'changed');
  const { version: _, ...current } = key;
  const next: Omit<KeyRecord, 'version'> = { ...current, ...definedOnly(changes), updatedAt: now };
  validate(next);
  if (next.name !== key.name) {
    const other = await store.findKey({ name: next.name });
    if (other && other.revokedAt === null) throw new KeyError('conflict', `a key named "${next.name}" exists already`);
  }
  return writing(next.name, () => store.updateKey(next));
}

/** Revoking twice is not an error: the key is revoked either way (the first time is kept). */
export async function revokeKey(store: Store, ref: string, now = Date.now()): Promise<KeyRecord> {
  const key = await findKey(store, ref);
  if (key.revokedAt !== null) return key;
  const { version: _, ...current } = key;
  return store.updateKey({ ...current, revokedAt: now, updatedAt: now });
}

/** A new secret for the same key (same id, limits, budget and history); the old secret stops working. */
export async function rotateKey(store: Store, ref: string, now = Date.now()): Promise<CreatedKey> {
  const key = await findChangeable(store, ref, 'rotated');
  const secret = generateKey();
  const { version: _, ...current } = key;
  const next = await store.updateKey({ ...current, hash: hashKey(secret), hint: keyHint(secret), updatedAt: now });
  return { key: next, secret };
}

export async function listKeys(store: Store, options: { includeRevoked?: boolean } = {}): Promise<KeyRecord[]> {
  const keys = await store.listKeys();
  return options.includeRevoked ? keys : keys.filter((k) => k.revokedAt === null);
}

export interface BudgetStatus {
  keyId: string;
  periodStart: number;
  /** The next reset; null for a `total` budget. */
  resetsAt: number | null;
  costNano: number | null;
  tokens: number | null;
  /** The larger of cost/budget and tokens/token budget: how close the key is to being refused. */
  fraction: number;
}

/** How much of its budget each key has used this period (what `keys list` and a console show). */
export async function budgetStatus(
  store: Store,
  keys: readonly KeyRecord[],
  now = Date.now(),
): Promise<BudgetStatus[]> {
  const budgeted = keys.filter((k) => k.budgetNano !== null || k.budgetTokens !== null);
  const refs: CounterRef[] = budgeted.flatMap((k) => {
    const window = periodStart(k.budgetPeriod, now);
    return [
      { keyId: k.id, metric: 'budget' as const, window },
      { keyId: k.id, metric: 'token_budget' as const, window },
    ];
  });
  const used = await store.counters(refs);
  return budgeted.map((k, i) => {
    const costNano = k.budgetNano !== null ? used[2 * i]! : null;
    const tokens = k.budgetTokens !== null ? used[2 * i + 1]! : null;
    return {
      keyId: k.id,
      periodStart: periodStart(k.budgetPeriod, now),
      resetsAt: periodEnd(k.budgetPeriod, now) ?? null,
      costNano,
      tokens,
      fraction: Math.max(
        costNano !== null ? costNano / k.budgetNano! : 0,
        tokens !== null ? tokens / k.budgetTokens! : 0,
      ),
    };
  });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
