// The console's request handler, for its own listener and for /console/ on PORT alike: pages
// (one HTML shell; the script draws each page from the JSON API), static files, and the API.
// Without a session a page redirects to sign-in and the API answers 401; every change needs the
// session's CSRF token and a same-origin request. Nothing here runs on the proxy's API path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError, sendError } from '../http/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { type ApiContext, handleApi } from './api.ts';
import type { Session } from './sessions.ts';
import { CONSOLE_PREFIX, redirect, securityHeaders, sessionId } from './web.ts';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json',
};

/** Paths of the pages (each served the same shell; app.js draws the page). */
const PAGES = /^\/(|keys|requests|requests\/\d{1,16}-\d{1,16}|providers|config)$/;

export interface ConsoleAppDeps {
  api: Omit<ApiContext, 'session' | 'secure'>;
  files: Record<string, string>;
  logger: Logger;
}

export class ConsoleApp {
  private readonly assets = new Map<string, { body: Buffer; type: string; etag: string }>();

  constructor(private readonly deps: ConsoleAppDeps) {
    for (const [name, text] of Object.entries(deps.files)) {
      const body = Buffer.from(text);
      // A cheap content tag: the files change only with the executable.
      let h = 0;
      for (const byte of body) h = (h * 31 + byte) >>> 0;
      this.assets.set(name, {
        body,
        type: TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream',
        etag: `"${h.toString(36)}-${body.length}"`,
      });
    }
  }

  /** A request listener; `secure`: this listener speaks HTTPS (Secure cookies, HSTS, https origins). */
  listener(secure: boolean, rootRedirect: boolean): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      securityHeaders(res, secure);
      this.route(req, res, secure, rootRedirect).catch((error: unknown) => {
        const err = sendError(res, error);
        if (err.status >= 500)
          this.deps.logger.error('console: request failed', {
            path: (req.url ?? '').slice(0, 200),
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          });
      });
    };
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    secure: boolean,
    rootRedirect: boolean,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    if (path === '/' && rootRedirect) return redirect(res, `${CONSOLE_PREFIX}/`);
    if (path === CONSOLE_PREFIX) return redirect(res, `${CONSOLE_PREFIX}/`);
    if (!path.startsWith(`${CONSOLE_PREFIX}/`)) throw notFound();
    const rest = path.slice(CONSOLE_PREFIX.length);
    const session = this.deps.api.sessions.get(sessionId(req));
    if (rest.startsWith('/api/'))
      return handleApi(req, res, rest.slice(4), url.searchParams, { ...this.deps.api, session, secure });
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new ProxyError(405, 'invalid_request_error', `${req.method} is not allowed here`, 'method_not_allowed');
    if (rest.startsWith('/assets/')) return this.asset(req, res, rest.slice(8));
    if (rest === '/sign-in') return session ? redirect(res, `${CONSOLE_PREFIX}/`) : this.page(res, 'sign-in.html');
    if (PAGES.test(rest)) return this.pageFor(res, session, rest);
    throw notFound();
  }

  private pageFor(res: ServerResponse, session: Session | undefined, rest: string): void {
    if (!session)
      return redirect(res, `${CONSOLE_PREFIX}/sign-in?next=${encodeURIComponent(`${CONSOLE_PREFIX}${rest}`)}`);
    this.page(res, 'index.html');
  }

  private page(res: ServerResponse, name: string): void {
    const file = this.assets.get(name)!;
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-store' });
    res.end(file.body);
  }

  private asset(req: IncomingMessage, res: ServerResponse, name: string): void {
    const file = name.endsWith('.html') ? undefined : this.assets.get(name);
    if (!file) throw notFound();
    const headers = { etag: file.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, { ...headers, 'content-type': file.type, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }
}

function notFound(): ProxyError {
  return new ProxyError(404, 'not_found_error', 'no such page in the console', 'not_found');
}
