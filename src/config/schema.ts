// The provider-config.yaml schema. It is the single definition of the file: the TypeScript types,
// the validation messages and docs/configuration.md all follow from it.
import { z } from 'zod';

export const PROVIDER_TYPES = ['openai', 'openai-compatible', 'anthropic', 'azure-openai', 'echo'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Headers the proxy sets itself; letting config override them would leak or break auth.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'authorization', 'x-api-key', 'api-key']);

const seconds = (max: number) =>
  z.number({ error: 'expected a number of seconds' }).positive({ error: 'must be more than 0 seconds' }).max(max, {
    error: `must be at most ${max} seconds`,
  });

const httpUrl = z
  .string({ error: 'expected a URL' })
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, 'invalid URL (expected http:// or https:// with a host and no query)');

export const providerSchema = z
  .object({
    name: z.string({ error: 'expected a provider name' }).regex(NAME, {
      error: 'use letters, digits, ".", "_" or "-" (no "/")',
    }),
    type: z.enum(PROVIDER_TYPES, { error: `expected one of ${PROVIDER_TYPES.join(', ')}` }),
    base_url: httpUrl.optional(),
    api_key: z.string({ error: 'expected a string such as ${OPENAI_API_KEY}' }).optional(),
    api_version: z.string().min(1).optional(),
    models: z.array(z.string({ error: 'expected a model name' }).min(1), { error: 'expected a list of model names' }).default([]),
    timeout: seconds(3600).default(60),
    max_retries: z.int({ error: 'expected a whole number' }).min(0).max(10).default(2),
    stream_usage: z.boolean().default(true),
    headers: z
      .record(
        z.string().regex(HEADER_NAME, { error: 'invalid header name' }).refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), {
          error: 'this header is set by the proxy and cannot be configured',
        }),
        z.string({ error: 'expected a string value' }),
      )
      .default({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.type === 'openai-compatible' || p.type === 'azure-openai') && !p.base_url) {
      ctx.addIssue({ code: 'custom', path: ['base_url'], message: `required for type ${p.type}` });
    }
    if (p.type === 'echo' && (p.base_url || p.api_key)) {
      ctx.addIssue({ code: 'custom', path: [p.base_url ? 'base_url' : 'api_key'], message: 'the echo provider takes no base_url or api_key' });
    }
  });

const targetObject = z
  .object({
    provider: z.string({ error: 'expected a provider name' }).min(1),
    model: z.string({ error: 'expected the upstream model name' }).min(1),
  })
  .strict();

// A target is "provider/model" or {provider, model}; model names may contain "/" themselves.
const targetSchema = z.union([
  z
    .string()
    .regex(/^[^/\s]+\/\S.*$/, { error: 'expected "provider/model" or {provider, model}' })
    .transform((s) => {
      const slash = s.indexOf('/');
      return { provider: s.slice(0, slash), model: s.slice(slash + 1) };
    }),
  targetObject,
], { error: 'expected "provider/model" or {provider, model}' });

const serverSchema = z
  .object({
    max_body_bytes: z.int().min(1024).max(1024 * 1024 * 1024).default(10 * 1024 * 1024),
    header_timeout: seconds(600).default(30),
    body_timeout: seconds(3600).default(120),
    retry_base_delay: seconds(60).default(0.25),
    retry_max_delay: seconds(300).default(8),
    default_max_tokens: z.int().min(1).default(4096),
    rate_limit: z
      .object({
        requests_per_minute: z.int().min(1),
        burst: z.int().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((s) => s.body_timeout >= s.header_timeout, { path: ['body_timeout'], error: 'must be at least header_timeout' });

export const providerConfigSchema = z
  .object({
    providers: z.array(providerSchema, { error: 'expected a list of providers' }).min(1, { error: 'at least one provider is needed' }),
    routes: z.record(z.string().min(1), z.array(targetSchema, { error: 'expected a list of targets' }).min(1, { error: 'a route needs at least one target' })).default({}),
    server: serverSchema.default(() => serverSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.providers.forEach((p, i) => {
      if (seen.has(p.name)) {
        ctx.addIssue({ code: 'custom', path: ['providers', i, 'name'], message: `duplicate provider name "${p.name}" (also providers[${seen.get(p.name)}])` });
      } else seen.set(p.name, i);
    });
    for (const [route, targets] of Object.entries(cfg.routes)) {
      targets.forEach((t, i) => {
        if (!seen.has(t.provider)) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', route, i],
            message: `unknown provider "${t.provider}" (defined: ${[...seen.keys()].join(', ')})`,
          });
        }
      });
    }
  });

export type ProviderConfig = z.output<typeof providerConfigSchema>;
export type ProviderEntry = ProviderConfig['providers'][number];
export type ServerSettings = ProviderConfig['server'];
export type RouteTarget = { provider: string; model: string };
