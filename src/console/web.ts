// What every console response carries (a strict Content-Security-Policy: only this origin's own
// scripts and styles, nothing inline, no framing), the session cookie, and the checks that a
// change comes from the console's own page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError } from '../http/errors.ts';

export const CONSOLE_PREFIX = '/console';
export const COOKIE = 'aip_console';

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every console response; `secure`: served over HTTPS. */
export function securityHeaders(res: ServerResponse, secure: boolean): void {
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  res.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  if (secure) res.setHeader('strict-transport-security', 'max-age=31536000');
}

export function sessionCookie(id: string, maxAgeS: number, secure: boolean): string {
  return `${COOKIE}=${id}; Path=${CONSOLE_PREFIX}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}

/** The session id from the Cookie header, if it looks like one. */
export function sessionId(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * A change must come from a page of this origin: browsers send Origin on every POST and
 * Sec-Fetch-Site on every request, and a page elsewhere cannot forge either. (SameSite=Strict
 * already keeps the cookie off cross-site requests; this also covers a sibling subdomain.)
 */
export function checkSameOrigin(req: IncomingMessage, secure: boolean): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') throw forbidden('the request did not come from the console page');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${secure ? 'https' : 'http'}://${req.headers.host ?? ''}`)
    throw forbidden(`origin ${origin.slice(0, 100)} is not the console's`);
}

export function forbidden(message: string): ProxyError {
  return new ProxyError(403, 'permission_error', message, 'csrf_check_failed');
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'content-length': 0, 'cache-control': 'no-store' });
  res.end();
}

/** The client's address as the socket sees it (a forwarded-for header is not trusted). */
export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}
