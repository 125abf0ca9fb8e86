// Client authentication: one shared token, accepted as "Authorization: Bearer" or "x-api-key"
// (what the OpenAI and Anthropic SDKs send), compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export class TokenAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = Buffer.from(token, 'utf8');
  }

  /** The presented token, or undefined when none was sent. */
  static presented(headers: IncomingHttpHeaders): string | undefined {
    const auth = headers.authorization;
    if (auth !== undefined && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
    const key = headers['x-api-key'];
    return typeof key === 'string' && key !== '' ? key : undefined;
  }

  /**
   * Constant time for a given length: the time reveals at most the token's length (as with
   * any constant-time compare), never how many leading characters were right.
   */
  check(token: string | undefined): boolean {
    if (token === undefined) return false;
    const presented = Buffer.from(token, 'utf8');
    if (presented.length !== this.expected.length) {
      timingSafeEqual(this.expected, this.expected);
      return false;
    }
    return timingSafeEqual(presented, this.expected);
  }
}
