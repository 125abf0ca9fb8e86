// Which value each metric label takes, decided here and rendered through labelKey (the
// registry's one escaping function). Values fixed by the configuration (provider, route,
// upstream model) are rendered when the runtime is compiled (src/proxy/runtime.ts), so recording
// a sample on the request path joins ready strings and escapes nothing.
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
const key = rendered('key');

/** endpoint="...": the request path for /v1/ paths, "other" for the rest (probes, metrics). */
export function endpointLabel(path: string): string {
  return endpoint(path.startsWith('/v1/') ? path : 'other');
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

/**
 * key="...": the name of the client key that made a request ("admin" for AUTH_TOKEN). The
 * operator names keys, so the values are a known set; clients cannot add any.
 */
export function keyLabel(name: string): string {
  return key(name);
}

/** result="ok" or result="error" of a configuration reload. */
export const reloadLabels = { ok: labelKey({ result: 'ok' }), error: labelKey({ result: 'error' }) };

/** The labels of a request before its route and provider are known. */
export const NO_ROUTE = routeLabel('');
export const NO_PROVIDER = providerLabel('');
