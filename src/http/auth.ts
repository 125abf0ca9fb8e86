// Client authentication: one shared token, accepted as "Authorization: Bearer" or "x-api-key"
// (what the OpenAI and Anthropic SDKs send), compared in constant time.
import type { IncomingHttpHeaders } from 'node:http';
import { errors } from './errors.ts';

export class TokenAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = Buffer.from(token, 'utf8');
  }

  /** The client's token when it is accepted (its identity, e.g. for rate limits); else a 401. */
  authenticate(headers: IncomingHttpHeaders): string {
    const token = TokenAuth.presented(headers);
    if (token === undefined || !this.check(token)) throw errors.unauthorized();
    return token;
  }

  /** The presented token, or undefined when none was sent. */
  static presented(headers: IncomingHttpHeaders): string | undefined {
    const auth = headers.authorization;
    if (auth !== undefined && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ')
      return auth.slice(7).trim();
    const key = headers['x-api-key'];
    return typeof key === 'string' && key !== '' ? key : undefined;
  }

  /**
   * Constant time for a given length: the time reveals at most the token's length (as with
   * any constant-time compare), never how many leading characters were right. Every byte of
   * the expected token is visited and differences are OR-ed together, with no branch on the
   * data (what crypto.timingSafeEqual does, without loading node:crypto into every idle proxy).
   */
  check(token: string | undefined): boolean {
    if (token === undefined) return false;
    const presented = Buffer.from(token, 'utf8');
    const expected = this.expected;
    let diff = presented.length ^ expected.length;
    const last = presented.length - 1;
    for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ (presented[i > last ? 0 : i] ?? 0);
    return diff === 0;
  }
}
