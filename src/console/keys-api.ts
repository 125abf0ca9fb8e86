// The console's key actions: the same flag parsers (src/cli/key-flags.ts) and the same service
// functions (src/keys/service.ts) as `ai-proxy keys`, so a key made in the browser follows exactly
// the rules of one made on the command line. The form sends the texts an operator would type
// (`20/month`, `200k`, `90d`). A new key's secret is in the answer to its creation only.
import type { CommandLine } from '../cli/args.ts';
import { changesFromFlags, KEY_VALUE_FLAGS, newKeyFromFlags } from '../cli/key-flags.ts';
import { ProxyError } from '../http/errors.ts';
import { keyJson } from '../keys/present.ts';
import { budgetStatus, createKey, findKey, listKeys, revokeKey, updateKey } from '../keys/service.ts';
import { KeyError } from '../keys/types.ts';
import type { Store } from '../store/types.ts';

const STATUS: Record<KeyError['code'], number> = { invalid: 400, not_found: 404, conflict: 409 };

/** KeyError's one-line message, as the HTTP answer the page shows. */
export function keyProblem(error: unknown): unknown {
  if (!(error instanceof KeyError)) return error;
  const type = error.code === 'not_found' ? 'not_found_error' : 'invalid_request_error';
  return new ProxyError(STATUS[error.code], type, error.message, `key_${error.code}`);
}

/** The form's fields as the command line the key flags parser reads. */
function commandLine(body: Record<string, unknown>): CommandLine {
  const values: Record<string, string> = {};
  for (const flag of KEY_VALUE_FLAGS) {
    const v = body[flag];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' || v.length > 2000)
      throw new ProxyError(
        400,
        'invalid_request_error',
        `${flag}: expected text of at most 2000 characters`,
        'invalid_field',
      );
    values[flag] = v.trim();
  }
  return { positional: [], values, lists: {}, booleans: new Set() };
}

export async function listKeysJson(store: Store, now = Date.now()): Promise<Record<string, unknown>> {
  const keys = await listKeys(store, { includeRevoked: true });
  const budgets = new Map(
    (
      await budgetStatus(
        store,
        keys.filter((k) => k.revokedAt === null),
        now,
      )
    ).map((b) => [b.keyId, b]),
  );
  return { now: new Date(now).toISOString(), keys: keys.map((k) => keyJson(k, now, budgets.get(k.id))) };
}

export async function createKeyJson(store: Store, body: Record<string, unknown>, now = Date.now()) {
  try {
    const created = await createKey(store, newKeyFromFlags(commandLine(body), now), now);
    return { key: keyJson(created.key, now), secret: created.secret };
  } catch (error) {
    throw keyProblem(error);
  }
}

export async function updateKeyJson(store: Store, ref: string, body: Record<string, unknown>, now = Date.now()) {
  try {
    const current = await findKey(store, ref);
    const changes = changesFromFlags(commandLine(body), current, now);
    return { key: keyJson(await updateKey(store, current.id, changes, now), now) };
  } catch (error) {
    throw keyProblem(error);
  }
}

export async function revokeKeyJson(store: Store, ref: string, now = Date.now()) {
  try {
    return { key: keyJson(await revokeKey(store, ref, now), now) };
  } catch (error) {
    throw keyProblem(error);
  }
}
