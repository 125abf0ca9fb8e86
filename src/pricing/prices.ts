// The price table (provider-config.yaml `prices:`) compiled for lookups, and what a request
// cost. Prices are per million tokens; costs are integer nano-units of the same currency, so
// sums over millions of rows stay exact. A model without a price has no cost (null): the
// ledger and reports show it as unpriced, never as free.
import type { PriceEntry } from '../config/schema.ts';
import type { Usage } from '../translate/types.ts';

/** Nano-units per token. */
export interface Price {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  /** The `prices:` key that matched, for reports. */
  key: string;
}

function toPrice(key: string, e: PriceEntry): Price {
  // per million tokens -> nano-units per token: x * 1e9 / 1e6
  return {
    input: e.input * 1000,
    output: e.output * 1000,
    cachedInput: (e.cached_input ?? e.input) * 1000,
    cacheWrite: (e.cache_write ?? e.input) * 1000,
    key,
  };
}

function wildcard(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's');
}

export class PriceTable {
  private readonly exact = new Map<string, Price>();
  /** Longest pattern first: "gpt-4o-mini*" wins over "gpt-4o*". */
  private readonly patterns: { test: RegExp; price: Price }[] = [];
  private readonly cache = new Map<string, Price | null>();

  constructor(entries: Record<string, PriceEntry> = {}) {
    const wild: [string, Price][] = [];
    for (const [key, entry] of Object.entries(entries)) {
      if (key.includes('*')) wild.push([key, toPrice(key, entry)]);
      else this.exact.set(key, toPrice(key, entry));
    }
    wild.sort((a, b) => b[0].length - a[0].length);
    for (const [key, price] of wild) this.patterns.push({ test: wildcard(key), price });
  }

  get size(): number {
    return this.exact.size + this.patterns.length;
  }

  /**
   * The price of an upstream model at a provider: "provider/model" before "model", exact names
   * before patterns. Results are cached (the set of models is bounded by the configuration).
   */
  lookup(provider: string, model: string): Price | undefined {
    const id = `${provider}/${model}`;
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit ?? undefined;
    let price = this.exact.get(id) ?? this.exact.get(model);
    if (!price) price = this.patterns.find((p) => p.test.test(id))?.price;
    if (!price) price = this.patterns.find((p) => p.test.test(model))?.price;
    this.cache.set(id, price ?? null);
    return price;
  }
}

/** What the usage cost at this price, in nano-units (rounded once, at the end). */
export function costOf(price: Price, usage: Usage): number {
  const cached = usage.cached ?? 0;
  const cacheWrite = usage.cacheWrite ?? 0;
  const plain = Math.max(0, usage.prompt - cached - cacheWrite);
  return Math.round(
    plain * price.input + cached * price.cachedInput + cacheWrite * price.cacheWrite + usage.completion * price.output,
  );
}
