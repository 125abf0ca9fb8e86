// `ai-proxy keys ...`: client keys, run where the operator already is
// (`docker exec ai-proxy /app/ai-proxy keys create --name alice`). A new or rotated key is
// printed once, alone on stdout (so `KEY=$(... keys create ...)` works); what was done goes to
// stderr. The running proxy picks every change up within a second.
import { ExitError } from '../exit-error.ts';
import { formatCount } from '../keys/limits.ts';
import { budgetText, budgetUsedText, keyJson } from '../keys/present.ts';
import {
  budgetStatus,
  createKey,
  findKey,
  listKeys,
  revokeKey,
  rotateKey,
  updateKey,
  type BudgetStatus,
} from '../keys/service.ts';
import { KeyError, keyStatus, type KeyRecord } from '../keys/types.ts';
import type { Store } from '../store/types.ts';
import { parseCommandLine, type CommandLine } from './args.ts';
import { changesFromFlags, KEY_VALUE_FLAGS, newKeyFromFlags } from './key-flags.ts';
import { withStore } from './store-access.ts';
import { renderTable } from './table.ts';

export const KEYS_USAGE = `Usage: ai-proxy keys <command> [options]

Commands:
  create --name NAME [limits]   create a key and print it (shown only this once)
  list [--all]                  the keys (--all: revoked ones too), with budget used this period
  show NAME|ID                  one key
  update NAME|ID [limits]       change a key (takes effect within a second)
  revoke NAME|ID                the key stops working within a second
  rotate NAME|ID                a new secret for the same key; the old one stops working

Limits (create and update):
  --models 'gpt-4o*,smart'      allowed models: names or patterns with * and ? ('*': all)
  --rpm N, --tpm N              requests / tokens (input + output) per minute
  --budget AMOUNT/PERIOD        money per day|week|month|total, priced by prices: (e.g. 20/month)
  --token-budget N/PERIOD       tokens per day|week|month|total (e.g. 5M/day)
  --expires DATE|DURATION       2026-12-31, 2026-12-31T18:00:00Z, 12h, 90d, 4w (update: never)
  --meta NAME=VALUE             free-form metadata, repeatable (update: NAME= removes it)
  update only: --name NEW, and none to remove a limit (--rpm none, --budget none)

Options: --json (machine-readable output), --config-dir DIR.
Exit codes: 0 done, 1 no such key or a conflict, 2 invalid options, 69 store unreachable, 78 no store configured.`;

const SPEC = {
  values: [...KEY_VALUE_FLAGS, 'config-dir'],
  lists: ['meta'],
  booleans: ['json', 'all', 'help'],
  maxPositional: 2,
};

const VERBS = ['create', 'list', 'show', 'update', 'revoke', 'rotate'];

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

function summary(k: KeyRecord): string {
  const limits = [
    `models: ${k.models.length ? k.models.join(', ') : 'all'}`,
    ...(k.rpm !== null ? [`rpm: ${k.rpm}`] : []),
    ...(k.tpm !== null ? [`tpm: ${k.tpm}`] : []),
    ...(k.budgetNano !== null || k.budgetTokens !== null ? [`budget: ${budgetText(k)}`] : []),
    ...(k.expiresAt !== null ? [`expires: ${new Date(k.expiresAt).toISOString()}`] : []),
  ];
  return `  ${limits.join('   ')}`;
}

function printTable(keys: KeyRecord[], budgets: Map<string, BudgetStatus>, now: number): void {
  const rows = keys.map((k) => [
    k.name,
    k.id,
    k.hint,
    k.models.length ? k.models.join(',') : '*',
    k.rpm === null ? '-' : formatCount(k.rpm),
    k.tpm === null ? '-' : formatCount(k.tpm),
    budgetText(k),
    budgetUsedText(budgets.get(k.id)),
    iso(k.expiresAt),
    keyStatus(k, now),
  ]);
  const columns = ['NAME', 'ID', 'KEY', 'MODELS', 'RPM', 'TPM', 'BUDGET', 'USED', 'EXPIRES', 'STATUS'].map((title) => ({
    title,
    right: title === 'RPM' || title === 'TPM',
  }));
  process.stdout.write(
    `${keys.length ? renderTable(columns, rows) : 'no keys (create one: ai-proxy keys create --name NAME)'}\n`,
  );
}

async function run(store: Store, verb: string, cl: CommandLine, now: number): Promise<void> {
  const json = cl.booleans.has('json');
  const ref = cl.positional[1];
  const out = (value: unknown): void => {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  };
  const needRef = () => {
    if (!ref) throw new KeyError('invalid', `keys ${verb}: which key? (ai-proxy keys ${verb} NAME|ID)`);
    return ref;
  };
  if (verb !== 'create' && verb !== 'update' && Object.keys(cl.values).some((f) => f !== 'config-dir'))
    throw new KeyError('invalid', `keys ${verb} takes no limit options`);
  if (verb !== 'create' && verb !== 'update' && cl.lists.meta)
    throw new KeyError('invalid', `keys ${verb} takes no --meta`);
  switch (verb) {
    case 'create': {
      if (ref) throw new KeyError('invalid', 'keys create: give the name as --name NAME');
      const { key, secret } = await createKey(store, newKeyFromFlags(cl, now), now);
      if (json) return out({ key: keyJson(key, now), secret });
      say(`created key "${key.name}" (${key.id})\n${summary(key)}`);
      process.stdout.write(`${secret}\n`);
      say('This is the only time the key is shown: hand it to its owner now (only its hash is stored).');
      return;
    }
    case 'list':
    case 'show': {
      const keys =
        verb === 'show'
          ? [await findKey(store, needRef())]
          : await listKeys(store, { includeRevoked: cl.booleans.has('all') });
      if (verb === 'list' && ref) throw new KeyError('invalid', 'keys list takes no key name (use keys show NAME)');
      const budgets = new Map((await budgetStatus(store, keys, now)).map((b) => [b.keyId, b]));
      if (json) {
        const list = keys.map((k) => keyJson(k, now, budgets.get(k.id)));
        return out(verb === 'show' ? list[0] : list);
      }
      return printTable(keys, budgets, now);
    }
    case 'update': {
      const current = await findKey(store, needRef());
      const key = await updateKey(store, current.id, changesFromFlags(cl, current, now), now);
      if (json) return out(keyJson(key, now));
      say(`updated key "${key.name}" (${key.id})\n${summary(key)}`);
      return;
    }
    case 'revoke': {
      const before = await findKey(store, needRef());
      const key = await revokeKey(store, before.id, now);
      if (json) return out(keyJson(key, now));
      say(
        before.revokedAt !== null
          ? `key "${key.name}" (${key.id}) was already revoked at ${new Date(before.revokedAt).toISOString()}`
          : `revoked key "${key.name}" (${key.id}): it stops working within a second`,
      );
      return;
    }
    case 'rotate': {
      const { key, secret } = await rotateKey(store, needRef(), now);
      if (json) return out({ key: keyJson(key, now), secret });
      say(`new secret for key "${key.name}" (${key.id}); the old one stops working within a second`);
      process.stdout.write(`${secret}\n`);
      say('This is the only time the key is shown: hand it to its owner now (only its hash is stored).');
      return;
    }
  }
}

export async function keysCommand(argv: string[]): Promise<void> {
  const cl = parseCommandLine(argv, SPEC, 'keys');
  const verb = cl.positional[0];
  if (!verb || cl.booleans.has('help') || verb === 'help') {
    process.stdout.write(`${KEYS_USAGE}\n`);
    return;
  }
  if (!VERBS.includes(verb)) throw new ExitError(2, `keys: unknown command "${verb}"`, 'run `ai-proxy keys --help`');
  try {
    await withStore(cl.values['config-dir'], (store) => run(store, verb, cl, Date.now()));
  } catch (error) {
    if (error instanceof KeyError) throw new ExitError(error.code === 'invalid' ? 2 : 1, error.message);
    throw error;
  }
}
