// Client authentication: one shared token, accepted as "Authorization: Bearer" or "x-api-key"
// (what the OpenAI and Anthropic SDKs send), compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export class TokenAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** The presented token, or undefined when none was sent. */
  static presented(headers: IncomingHttpHeaders): string | undefined {
    const auth = headers.authorization;
    if (auth !== undefined && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
    const key = headers['x-api-key'];
    return typeof key === 'string' && key !== '' ? key : undefined;
  }

  /** Hashing first makes the comparison constant-time regardless of the presented length. */
  check(token: string | undefined): boolean {
    if (token === undefined) return false;
    return timingSafeEqual(digest(token), this.expected);
  }
}
