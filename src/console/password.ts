// The console password, stored only as a scrypt hash in CONSOLE_PASSWORD_HASH:
// `$scrypt$ln=15,r=8,p=1$SALT$HASH` (base64). N = 2^15 with r = 8 takes 32 MiB and tens of
// milliseconds per check, on libuv's thread pool: slow for a guesser, invisible to the proxy.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { PASSWORD_HASH_FORMAT } from '../config/console-env.ts';

const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
export const MIN_PASSWORD_LENGTH = 12;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    // maxmem: what this N and r need (128 * N * r bytes) plus headroom; Node's default is 32 MiB.
    scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new RangeError(`the password is too short (${password.length} characters, need ${MIN_PASSWORD_LENGTH})`);
  const salt = randomBytes(16);
  const key = await derive(password, salt, LOG_N, R, P);
  return `$scrypt$ln=${LOG_N},r=${R},p=${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when the password matches the hash; false for a wrong password or a hash it cannot read. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = PASSWORD_HASH_FORMAT.exec(hash);
  if (!m) return false;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Parameters outside what this module writes would let a crafted hash cost gigabytes.
  if (logN < 10 || logN > 20 || r < 1 || r > 16 || p < 1 || p > 4) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await derive(password, Buffer.from(m[4]!, 'base64'), logN, r, p);
  return expected.length === key.length && timingSafeEqual(expected, key);
}
