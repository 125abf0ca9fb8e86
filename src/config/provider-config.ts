// Reads provider-config.yaml: YAML syntax, then the zod schema, with every error reported as
// `file:line path: message` so an operator can go straight to the line.
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { safeParse } from 'zod/mini';
import { providerConfigSchema, type ProviderConfig } from './schema.ts';
import { PROVIDER_FILE } from '../contract/container.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Formats a zod path the way a reader writes it: providers[1].base_url, routes.smart[0]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** The YAML node closest to `path` (the deepest one that exists) for its line number. */
function nodeAt(root: Node | null, path: readonly PropertyKey[]): Node | null {
  let node: Node | null = root;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      if (!pair) return node;
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined;
      if (!item) return node;
      node = item;
    } else return node;
  }
  return node;
}

/** The line of a mapping key (so "unknown key" errors point at the key, not the object). */
function keyLine(root: Node | null, path: readonly PropertyKey[], key: string, lc: LineCounter): number | undefined {
  const parent = nodeAt(root, path);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
  const range = (pair?.key as Node | undefined)?.range;
  return range ? lc.linePos(range[0]).line : undefined;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * Parses and validates provider-config.yaml text. Pure: ${VAR} references in api_key and headers
 * are kept as written (see resolveProviderConfig). Throws ConfigError like
 * `provider-config.yaml:14 providers[1].base_url: invalid URL`.
 */
export function parseProviderConfig(text: string, fileName = PROVIDER_FILE): ProviderConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
    throw new ConfigError(`${fileName}:${line} YAML syntax: ${e.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    throw new ConfigError(`${fileName}:1 the file is empty (it needs a "providers:" list)`);
  }
  const result = safeParse(providerConfigSchema, data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const root = doc.contents as Node | null;
  let path: PropertyKey[] = [...issue.path];
  let message = issue.message;
  let line: number | undefined;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    line = keyLine(root, path, key, lineCounter);
    message = `unknown key "${key}"${issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).join(', ')})` : ''}`;
    path = [...path, key];
  } else if (issue.code === 'invalid_key' && issue.issues[0]) {
    message = issue.issues[0].message;
  } else if (issue.code === 'invalid_type' && valueAt(data, issue.path) === undefined) {
    message = `missing (${message})`;
  }
  if (line === undefined) {
    const node = nodeAt(root, issue.path);
    line = node?.range ? lineCounter.linePos(node.range[0]).line : 1;
  }
  const where = formatPath(path);
  throw new ConfigError(`${fileName}:${line} ${where ? `${where}: ` : ''}${message}`);
}

export type { ProviderConfig };
