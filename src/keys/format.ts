// The client key format: `aip_` + 43 base62 characters (256 bits). The prefix makes a leaked key
// recognisable (secret scanners, logs) and lets the proxy skip hashing anything else.
// Only the SHA-256 of the whole key is stored: the key has 256 random bits, so a fast hash is
// as safe as a slow one, and a lookup is one hash plus one Map access.
// node:crypto costs ~4 MB of resident memory: it is loaded on the first call, which in the
// proxy happens only when client keys exist.
import type { createHash as CreateHash, randomBytes as RandomBytes } from 'node:crypto';

export const KEY_PREFIX = 'aip_';
const SECRET_LENGTH = 43;
export const KEY_LENGTH = KEY_PREFIX.length + SECRET_LENGTH;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const SHAPE = /^aip_[0-9A-Za-z]{43}$/;

interface CryptoParts {
  createHash: typeof CreateHash;
  randomBytes: typeof RandomBytes;
}
let crypto: CryptoParts | undefined;
function cryptoModule(): CryptoParts {
  crypto ??= process.getBuiltinModule('node:crypto');
  return crypto;
}

/** `count` characters from `alphabet`, uniformly (rejection sampling, no modulo bias). */
function randomString(alphabet: string, count: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < count) {
    for (const byte of cryptoModule().randomBytes(count * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === count) break;
    }
  }
  return out;
}

/** A new secret key. Shown to its owner once; the store keeps `hashKey(key)` and `keyHint(key)`. */
export function generateKey(): string {
  return KEY_PREFIX + randomString(BASE62, SECRET_LENGTH);
}

/** A new public key id (`key_` + 12 characters, Crockford-like: no i, l, o, u). */
export function generateKeyId(): string {
  return `key_${randomString(ID_ALPHABET, 12)}`;
}

/** True when the text has the exact shape of a client key (cheap: no hashing). */
export function looksLikeKey(text: string): boolean {
  return text.length === KEY_LENGTH && SHAPE.test(text);
}

export function hashKey(key: string): string {
  return cryptoModule().createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The first characters of a key: enough to tell keys apart, far too few to guess the rest. */
export function keyHint(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 6)}…`;
}
