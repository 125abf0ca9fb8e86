// The console's JSON API under /console/api/. Sign-in and the session first; everything else
// needs a session, and every change (POST, PATCH) the session's CSRF token from a same-origin
// page. Store errors become 503 with their one-line reason, query mistakes 400.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonObject, readBody } from '../http/body.ts';
import { ProxyError } from '../http/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { isStoreError, type Store } from '../store/types.ts';
import { createKeyJson, listKeysJson, revokeKeyJson, updateKeyJson } from './keys-api.ts';
import { isRangeName, type OverviewCache } from './overview.ts';
import { requestDetail, requestsPage } from './requests-api.ts';
import { sameToken, type Session, type Sessions } from './sessions.ts';
import type { RefusedSignIns, SignInLimiter } from './sign-in-limit.ts';
import { checkSameOrigin, clearedCookie, clientAddress, forbidden, sendJson, sessionCookie } from './web.ts';

const MAX_BODY = 16 * 1024;

export interface ApiContext {
  session: Session | undefined;
  secure: boolean;
  sessions: Sessions;
  limiter: SignInLimiter;
  /** Sign-ins the limiter refused, logged as a count per second. */
  refused: RefusedSignIns;
  logger: Logger;
  /** 'password' with CONSOLE_PASSWORD_HASH, else 'token' (AUTH_TOKEN). */
  signInWith: 'password' | 'token';
  checkSecret(secret: string): Promise<boolean>;
  store(): Promise<Store>;
  overview: OverviewCache;
  /** /health's report (providers, the store, keys, ledger) as an object. */
  health(): Record<string, unknown>;
  /** `ai-proxy config`'s view of the running configuration, secrets redacted. */
  config(): Record<string, unknown>;
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  match: string[],
  q: URLSearchParams,
  c: ApiContext,
) => Promise<void>;

const routes: [method: string, path: RegExp, handler: Handler][] = [
  ['POST', /^\/sign-in$/, signIn],
  ['POST', /^\/sign-out$/, async (_req, res, _m, _q, c) => signOut(res, c)],
  ['GET', /^\/session$/, async (_req, res, _m, _q, c) => sendJson(res, 200, sessionJson(c))],
  [
    'GET',
    /^\/overview$/,
    async (_req, res, _m, q, c) => {
      const range = q.get('range') ?? '24h';
      if (!isRangeName(range))
        throw new ProxyError(400, 'invalid_request_error', 'range: 1h, 24h, 7d or 30d', 'invalid_query');
      sendJson(res, 200, await c.overview.get(await c.store(), range));
    },
  ],
  ['GET', /^\/keys$/, async (_req, res, _m, _q, c) => sendJson(res, 200, await listKeysJson(await c.store()))],
  [
    'POST',
    /^\/keys$/,
    async (req, res, _m, _q, c) => {
      const created = await createKeyJson(await c.store(), await body(req));
      c.logger.info('console: key created', { key: created.key.name, id: created.key.id });
      sendJson(res, 201, created);
    },
  ],
  [
    'PATCH',
    /^\/keys\/([\w.@-]{1,80})$/,
    async (req, res, m, _q, c) => {
      const changed = await updateKeyJson(await c.store(), m[1]!, await body(req));
      c.logger.info('console: key changed', { key: changed.key.name, id: changed.key.id });
      sendJson(res, 200, changed);
    },
  ],
  [
    'POST',
    /^\/keys\/([\w.@-]{1,80})\/revoke$/,
    async (_req, res, m, _q, c) => {
      const revoked = await revokeKeyJson(await c.store(), m[1]!);
      c.logger.info('console: key revoked', { key: revoked.key.name, id: revoked.key.id });
      sendJson(res, 200, revoked);
    },
  ],
  ['GET', /^\/requests$/, async (_req, res, _m, q, c) => sendJson(res, 200, await requestsPage(await c.store(), q))],
  [
    'GET',
    /^\/requests\/(\d{1,16}-\d{1,16})$/,
    async (_req, res, m, _q, c) => sendJson(res, 200, { request: await requestDetail(await c.store(), m[1]!) }),
  ],
  ['GET', /^\/providers$/, async (_req, res, _m, _q, c) => sendJson(res, 200, providersJson(c))],
  ['GET', /^\/config$/, async (_req, res, _m, _q, c) => sendJson(res, 200, c.config())],
];

export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  q: URLSearchParams,
  c: ApiContext,
): Promise<void> {
  const method = req.method ?? 'GET';
  const route = routes.find(([m, p]) => p.test(path) && (m === method || (m === 'GET' && method === 'HEAD')));
  if (!route) {
    const known = routes.some(([, p]) => p.test(path));
    throw known
      ? new ProxyError(405, 'invalid_request_error', `${method} is not allowed on this path`, 'method_not_allowed')
      : new ProxyError(404, 'not_found_error', 'no such console API path', 'not_found');
  }
  const [m, pattern, handler] = route;
  if (handler !== signIn) {
    if (!c.session) throw new ProxyError(401, 'authentication_error', 'sign in to the console first', 'no_session');
    if (m !== 'GET') {
      checkSameOrigin(req, c.secure);
      const token = req.headers['x-csrf-token'];
      if (!sameToken(typeof token === 'string' ? token : undefined, c.session.csrf))
        throw forbidden('missing or wrong CSRF token (reload the page)');
    }
  }
  try {
    await handler(req, res, pattern.exec(path)!, q, c);
  } catch (error) {
    if (isStoreError(error))
      throw new ProxyError(503, 'api_error', `the key store: ${error.message}`, 'store_unavailable');
    if (error instanceof RangeError) throw new ProxyError(400, 'invalid_request_error', error.message, 'invalid_query');
    throw error;
  }
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    throw new ProxyError(
      415,
      'invalid_request_error',
      'send JSON (content-type: application/json)',
      'unsupported_media_type',
    );
  return parseJsonObject(await readBody(req, MAX_BODY), MAX_BODY);
}

function sessionJson(c: ApiContext) {
  const s = c.session!;
  return { csrf: s.csrf, expires_at: new Date(c.sessions.expiresAt(s)).toISOString(), sign_in: c.signInWith };
}

/** Sign-in: rate-limited per address and overall, each checked attempt logged (never the secret), refusals counted. */
async function signIn(
  req: IncomingMessage,
  res: ServerResponse,
  _m: string[],
  _q: URLSearchParams,
  c: ApiContext,
): Promise<void> {
  checkSameOrigin(req, c.secure);
  const address = clientAddress(req);
  const wait = c.limiter.retryAfter(address);
  if (wait > 0) {
    c.refused.add(address);
    throw new ProxyError(
      429,
      'rate_limit_error',
      `too many failed sign-ins; try again in ${wait} s`,
      'too_many_sign_ins',
      {
        'retry-after': String(wait),
      },
    );
  }
  const secret = (await body(req)).secret;
  if (!c.limiter.beginCheck())
    throw new ProxyError(429, 'rate_limit_error', 'sign-in is busy; try again in a second', 'sign_in_busy', {
      'retry-after': '1',
    });
  let ok: boolean;
  try {
    ok = typeof secret === 'string' && secret.length <= 1000 && (await c.checkSecret(secret));
  } finally {
    c.limiter.endCheck();
  }
  if (!ok) {
    c.limiter.failed(address);
    c.logger.warn('console: sign-in failed', { address, with: c.signInWith });
    throw new ProxyError(
      401,
      'authentication_error',
      `wrong ${c.signInWith === 'password' ? 'password' : 'AUTH_TOKEN'}`,
      'wrong_secret',
    );
  }
  c.limiter.succeeded(address);
  c.sessions.end(c.session?.id);
  const session = c.sessions.create();
  c.logger.info('console: signed in', { address, with: c.signInWith });
  res.setHeader(
    'set-cookie',
    sessionCookie(session.id, Math.floor((c.sessions.expiresAt(session) - Date.now()) / 1000), c.secure),
  );
  sendJson(res, 200, sessionJson({ ...c, session }));
}

function signOut(res: ServerResponse, c: ApiContext): void {
  c.sessions.end(c.session?.id);
  res.setHeader('set-cookie', clearedCookie(c.secure));
  sendJson(res, 200, { signed_out: true });
}

/** Each provider's health and the routes that use it, from the running configuration. */
function providersJson(c: ApiContext) {
  const health = c.health();
  const config = c.config();
  const components = (health.components ?? {}) as Record<string, unknown>;
  const providers = (components.providers ?? {}) as Record<string, Record<string, unknown>>;
  const routes = (config.routes ?? {}) as Record<string, string[]>;
  const described = (config.providers ?? []) as Record<string, unknown>[];
  return {
    status: health.status,
    providers: described.map((p) => {
      const name = String(p.name);
      return {
        ...providers[name],
        name,
        type: p.type,
        base_url: p.base_url ?? null,
        models: p.models,
        routes: Object.entries(routes)
          .filter(([, targets]) => targets.some((t) => t.startsWith(`${name}/`)))
          .map(([route, targets]) => ({ route, targets })),
      };
    }),
    store: components.store ?? null,
    keys: components.keys ?? null,
    ledger: components.ledger ?? null,
    config: components.config ?? null,
  };
}
