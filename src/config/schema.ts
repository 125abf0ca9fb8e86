// The provider-config.yaml schema. It is the single definition of the file: the TypeScript types,
// the validation messages and docs/configuration.md all follow from it.
// zod/mini rather than classic zod: the same validation, ~15 MB less resident memory in the proxy.
import * as z from 'zod/mini';
import { REQUEST_FACTOR, reserveOf } from '../limits/model.ts';

export const PROVIDER_TYPES = ['openai', 'openai-compatible', 'anthropic', 'azure-openai', 'echo'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Headers the proxy sets itself; letting config override them would leak or break auth.
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'authorization',
  'x-api-key',
  'api-key',
]);

const seconds = (max: number, fallback: number) =>
  z._default(
    z
      .number({ error: 'expected a number of seconds' })
      .check(
        z.positive({ error: 'must be more than 0 seconds' }),
        z.maximum(max, { error: `must be at most ${max} seconds` }),
      ),
    fallback,
  );

const wholeNumber = (min: number, max: number, fallback: number) =>
  z._default(
    z
      .int({ error: 'expected a whole number' })
      .check(z.minimum(min, { error: `must be at least ${min}` }), z.maximum(max, { error: `must be at most ${max}` })),
    fallback,
  );

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).check(z.minLength(1, { error: `expected ${what}` }));

const httpUrl = z.string({ error: 'expected a URL' }).check(
  z.refine(
    (s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.search && !u.hash;
      } catch {
        return false;
      }
    },
    { error: 'invalid URL (expected http:// or https:// with a host and no query)' },
  ),
  // Credentials in a URL end up in logs, /health and error messages: refuse them, never echo them.
  z.refine(
    (s) => {
      try {
        const u = new URL(s);
        return u.username === '' && u.password === '';
      } catch {
        return true; // not a URL at all: the check above says so
      }
    },
    { error: 'must not contain a user name or password (user:secret@); put the key in api_key as ${VARIABLE}' },
  ),
);

export const providerSchema = z
  .strictObject({
    name: z
      .string({ error: 'expected a provider name' })
      .check(z.regex(NAME, { error: 'use letters, digits, ".", "_" or "-" (no "/")' })),
    type: z.enum(PROVIDER_TYPES, { error: `expected one of ${PROVIDER_TYPES.join(', ')}` }),
    base_url: z.optional(httpUrl),
    api_key: z.optional(z.string({ error: 'expected a string such as ${OPENAI_API_KEY}' })),
    api_version: z.optional(nonEmpty('an API version string')),
    models: z._default(z.array(nonEmpty('a model name'), { error: 'expected a list of model names' }), []),
    timeout: seconds(3600, 60),
    max_retries: wholeNumber(0, 10, 2),
    stream_usage: z._default(z.boolean({ error: 'expected true or false' }), true),
    headers: z._default(
      z.record(
        z.string().check(
          z.regex(HEADER_NAME, { error: 'invalid header name' }),
          z.refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), {
            error: 'this header is set by the proxy and cannot be configured',
          }),
        ),
        z.string({ error: 'expected a string value' }),
        { error: 'expected a map of header names to values' },
      ),
      {},
    ),
  })
  .check(
    z.superRefine((p, ctx) => {
      if ((p.type === 'openai-compatible' || p.type === 'azure-openai') && !p.base_url) {
        ctx.issues.push({ code: 'custom', path: ['base_url'], message: `required for type ${p.type}`, input: p });
      }
      if (p.type === 'echo' && (p.base_url || p.api_key)) {
        ctx.issues.push({
          code: 'custom',
          path: [p.base_url ? 'base_url' : 'api_key'],
          message: 'the echo provider takes no base_url or api_key',
          input: p,
        });
      }
    }),
  );

const TARGET_ERROR = 'expected "provider/model" or {provider, model}';

// A target is "provider/model" or {provider, model}; model names may contain "/" themselves.
const targetSchema = z.union(
  [
    z.pipe(
      z.string().check(z.regex(/^[^/\s]+\/\S.*$/, { error: TARGET_ERROR })),
      z.transform((s: string) => {
        const slash = s.indexOf('/');
        return { provider: s.slice(0, slash), model: s.slice(slash + 1) };
      }),
    ),
    z.strictObject({ provider: nonEmpty('a provider name'), model: nonEmpty('the upstream model name') }),
  ],
  { error: TARGET_ERROR },
);

const MiB = 1024 * 1024;

// The defaults of the memory settings come from the container's 512 MiB: docs/architecture.md,
// "Memory model", shows the arithmetic. What one request may hold is REQUEST_FACTOR x max_body_bytes.
const serverSchema = z
  .strictObject({
    max_body_bytes: wholeNumber(1024, 1024 * MiB, 10 * MiB),
    memory_budget_bytes: wholeNumber(8 * MiB, 1024 * 1024 * MiB, 128 * MiB),
    max_response_bytes: wholeNumber(64 * 1024, 1024 * 1024 * MiB, 64 * MiB),
    max_event_bytes: wholeNumber(64 * 1024, 1024 * MiB, 8 * MiB),
    max_connections: wholeNumber(16, 10_000_000, 6000),
    write_timeout: seconds(3600, 60),
    header_timeout: seconds(600, 30),
    body_timeout: seconds(3600, 120),
    retry_base_delay: seconds(60, 0.25),
    retry_max_delay: seconds(300, 8),
    default_max_tokens: wholeNumber(1, 10_000_000, 4096),
    rate_limit: z.optional(
      z.strictObject({
        requests_per_minute: z
          .int({ error: 'expected a whole number' })
          .check(z.minimum(1, { error: 'must be at least 1' })),
        burst: z.optional(
          z.int({ error: 'expected a whole number' }).check(z.minimum(1, { error: 'must be at least 1' })),
        ),
      }),
    ),
  })
  .check(
    z.refine((s) => s.body_timeout >= s.header_timeout, {
      path: ['body_timeout'],
      error: 'must be at least header_timeout',
    }),
    z.superRefine((s, ctx) => {
      // Each cap must fit in what the budget gives a large charge, or nothing that size could ever be served.
      const room = s.memory_budget_bytes - reserveOf(s.memory_budget_bytes);
      const needs: [string, number, string][] = [
        [
          'max_body_bytes',
          REQUEST_FACTOR * s.max_body_bytes,
          `${REQUEST_FACTOR} x max_body_bytes (one request read and parsed)`,
        ],
        ['max_response_bytes', s.max_response_bytes, 'max_response_bytes'],
        ['max_event_bytes', s.max_event_bytes, 'max_event_bytes'],
      ];
      for (const [key, bytes, what] of needs) {
        if (bytes > room)
          ctx.issues.push({
            code: 'custom',
            path: [key],
            message: `${what} must fit in 7/8 of memory_budget_bytes; raise memory_budget_bytes to at least ${Math.ceil((bytes * 8) / 7)}`,
            input: s,
          });
      }
    }),
  );

// Prices per million tokens, in the currency budgets are given in (USD in the docs' examples).
const perMillion = z
  .number({ error: 'expected a price per million tokens (a number)' })
  .check(z.minimum(0, { error: 'must be 0 or more' }), z.maximum(1_000_000, { error: 'must be at most 1000000' }));

const priceSchema = z.strictObject({
  input: perMillion,
  output: perMillion,
  /** Prompt tokens served from the provider's cache; the input price when omitted. */
  cached_input: z.optional(perMillion),
  /** Prompt tokens written to the provider's cache (Anthropic); the input price when omitted. */
  cache_write: z.optional(perMillion),
});

// "model", "provider/model", or either with * wildcards ("gpt-4o-*", "openai/*").
const PRICE_KEY = /^[^\s]+$/;

const ledgerSchema = z.strictObject({
  enabled: z._default(z.boolean({ error: 'expected true or false' }), true),
  retention_days: wholeNumber(1, 3650, 90),
});

export const providerConfigSchema = z
  .strictObject({
    providers: z
      .array(providerSchema, { error: 'expected a list of providers' })
      .check(z.minLength(1, { error: 'at least one provider is needed' })),
    routes: z._default(
      z.record(
        z.string(),
        z
          .array(targetSchema, { error: 'expected a list of targets' })
          .check(z.minLength(1, { error: 'a route needs at least one target' })),
        {
          error: 'expected a map of model names to target lists',
        },
      ),
      {},
    ),
    server: z._default(serverSchema, () => z.parse(serverSchema, {})),
    prices: z._default(
      z.record(
        z.string().check(z.regex(PRICE_KEY, { error: 'a price key is a model name without spaces' })),
        priceSchema,
        {
          error: 'expected a map of model names to {input, output} prices per million tokens',
        },
      ),
      {},
    ),
    ledger: z._default(ledgerSchema, () => z.parse(ledgerSchema, {})),
  })
  .check(
    z.superRefine((cfg, ctx) => {
      const seen = new Map<string, number>();
      cfg.providers.forEach((p, i) => {
        const first = seen.get(p.name);
        if (first !== undefined) {
          ctx.issues.push({
            code: 'custom',
            path: ['providers', i, 'name'],
            message: `duplicate provider name "${p.name}" (also providers[${first}])`,
            input: p.name,
          });
        } else seen.set(p.name, i);
      });
      for (const [route, targets] of Object.entries(cfg.routes)) {
        targets.forEach((t, i) => {
          if (!seen.has(t.provider)) {
            ctx.issues.push({
              code: 'custom',
              path: ['routes', route, i],
              message: `unknown provider "${t.provider}" (defined: ${[...seen.keys()].join(', ')})`,
              input: t,
            });
          }
        });
      }
    }),
  );

export type ProviderConfig = z.output<typeof providerConfigSchema>;
export type ProviderEntry = ProviderConfig['providers'][number];
export type ServerSettings = ProviderConfig['server'];
export type PriceEntry = ProviderConfig['prices'][string];
export type LedgerSettings = ProviderConfig['ledger'];
export type RouteTarget = { provider: string; model: string };
