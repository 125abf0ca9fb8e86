// `ai-proxy console hash-password` as an operator runs it: a password on standard input, the
// .env line on standard output, a hash the console accepts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateEnv } from '../../src/config/env.ts';
import { verifyPassword } from '../../src/console/password.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');

function hashPassword(input: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'console', 'hash-password'], {
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
}

test('console hash-password prints a CONSOLE_PASSWORD_HASH line that signs in with that password', async () => {
  const r = hashPassword('a long console password\n');
  assert.equal(r.status, 0, r.stderr);
  const m = /^CONSOLE_PASSWORD_HASH=(\S+)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(await verifyPassword('a long console password', m[1]!), true);
  assert.equal(await verifyPassword('another password', m[1]!), false);
  const env = validateEnv({ AUTH_TOKEN: 'x'.repeat(32), CONSOLE_PORT: '9090', CONSOLE_PASSWORD_HASH: m[1]! });
  assert.equal(env.console?.passwordHash, m[1]);
});

test('console hash-password refuses a short password (exit 2) and unknown commands', () => {
  const short = hashPassword('short\n');
  assert.equal(short.status, 2);
  assert.match(short.stderr, /too short/);
  assert.equal(short.stdout, '');
  const unknown = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'console', 'open'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
});
