// Which value each metric label takes, decided here and rendered through labelKey (the
// registry's one escaping function). A value is either from a fixed set (endpoints, statuses,
// failure kinds, "other", "unknown") or from the configuration (provider, route, upstream model,
// rendered when the runtime is compiled in src/proxy/runtime.ts): nothing a client sends becomes
// a label value, so the number of series is bounded by the configuration, whatever arrives.
import { API_PATHS } from '../providers/types.ts';
import { labelKey } from './metrics-registry.ts';

/** Distinct values remembered per label: enough for every real one, and no more for hostile ones. */
const REMEMBERED = 256;

/** name="value" rendered once per distinct value, up to REMEMBERED of them; the rest each time. */
function rendered(name: string): (value: string | number) => string {
  const seen = new Map<string | number, string>();
  return (value) => {
    let key = seen.get(value);
    if (key === undefined) {
      key = labelKey({ [name]: value });
      if (seen.size < REMEMBERED) seen.set(value, key);
    }
    return key;
  };
}

const endpoint = rendered('endpoint');
const status = rendered('status');
const kind = rendered('kind');

/** The paths that are their own endpoint label: the API and the model list. */
const ENDPOINTS = new Set([...Object.values(API_PATHS).map((p) => `/v1${p}`), '/v1/models']);

/** endpoint="...": an API path the proxy serves, "other" for every other path (probes, metrics, unknown). */
export function endpointLabel(path: string): string {
  return endpoint(ENDPOINTS.has(path) ? path : 'other');
}

/** route="...": a configured route name (the public model), "" before a route is known. */
export function routeLabel(route: string): string {
  return labelKey({ route });
}

/** provider="...": a configured provider name, "" before a provider is chosen. */
export function providerLabel(provider: string): string {
  return labelKey({ provider });
}

/** The aiproxy_tokens_total series of one target: its provider and upstream model, per kind. */
export function tokenLabels(provider: string, model: string): { prompt: string; completion: string } {
  return {
    prompt: labelKey({ provider, model, kind: 'prompt' }),
    completion: labelKey({ provider, model, kind: 'completion' }),
  };
}

/** status="...": the HTTP status the client got (499 when it left first). */
export function statusLabel(code: number): string {
  return status(code);
}

/** kind="...": why an upstream attempt failed (timeout, connect, http_503, ...). */
export function failureKindLabel(reason: string): string {
  return kind(reason);
}

/** Client keys that get series of their own; the ones seen after them share OTHER_KEY. */
export const KEY_SERIES = 500;
/** key="_other": no key name can start with "_", so it is never a real key's. */
export const OTHER_KEY = '_other';
const keys = new Map<string, string>();
const otherKey = labelKey({ key: OTHER_KEY });

/**
 * key="...": the name of the client key that made a request ("admin" for AUTH_TOKEN). Names come
 * from the key store, not from the configuration, so only the first KEY_SERIES names seen by this
 * process get their own value and later ones are counted under "_other": the number of series stays
 * bounded whatever the store holds (the ledger keeps the exact figures per key).
 */
export function keyLabel(name: string): string {
  let label = keys.get(name);
  if (label === undefined) {
    if (keys.size >= KEY_SERIES) return otherKey;
    label = labelKey({ key: name });
    keys.set(name, label);
  }
  return label;
}

/** result="ok" or result="error" of a configuration reload. */
export const reloadLabels = { ok: labelKey({ result: 'ok' }), error: labelKey({ result: 'error' }) };

/** The labels of a request before its route and provider are known. */
export const NO_ROUTE = routeLabel('');
/** route="unknown": the client asked for a model that is not configured. */
export const UNKNOWN_ROUTE = routeLabel('unknown');
export const NO_PROVIDER = providerLabel('');
