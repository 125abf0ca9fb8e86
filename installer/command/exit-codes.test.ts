import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EXIT, EXIT_MEANINGS, exitCodeMarkdown, exitMeaning } from './exit-codes.ts';
import { InstallError, toInstallError } from './errors.ts';
import { ExitError } from '../../src/exit-error.ts';
import { helpText } from './flags.ts';

test('the table covers 0-13 and 130, each once', () => {
  assert.deepEqual(
    EXIT_MEANINGS.map((row) => row.code),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 130],
  );
  assert.match(exitMeaning(EXIT.portInUse), /^port already in use/);
  assert.equal(exitMeaning(77), 'unknown exit code');
});

test('InstallError is an ExitError carrying code, message and hint', () => {
  const error = new InstallError(EXIT.invalidPort, 'bad port', 'use 1-65535');
  assert.ok(error instanceof ExitError);
  assert.equal(error.exitCode, 8);
  assert.equal(error.hint, 'use 1-65535');
});

test('toInstallError keeps InstallErrors, maps ExitErrors and wraps the rest with the step code', () => {
  const original = new InstallError(EXIT.portInUse, 'x');
  assert.equal(toInstallError(original, EXIT.buildFailed, '/log'), original);
  assert.equal(toInstallError(new ExitError(5, 'engine'), EXIT.buildFailed, '/log').exitCode, 5);
  const wrapped = toInstallError(new Error('disk full'), EXIT.buildFailed, '/var/log/x.log');
  assert.equal(wrapped.exitCode, 12);
  assert.equal(wrapped.message, 'disk full');
  assert.match(wrapped.hint ?? '', /\/var\/log\/x\.log/);
  const internal = toInstallError('weird', EXIT.internal, '/var/log/x.log');
  assert.equal(internal.exitCode, 1);
  assert.match(internal.message, /unexpected internal error/);
  assert.match(internal.hint ?? '', /\/var\/log\/x\.log/);
});

test('--help prints every code and meaning', () => {
  const help = helpText('1.0.0');
  for (const row of EXIT_MEANINGS)
    assert.ok(help.includes(`${String(row.code).padStart(3)}  ${row.meaning}`), `help lists ${row.code}`);
});

test('docs/exit-codes.md carries the same table', () => {
  const doc = readFileSync(new URL('../../docs/exit-codes.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(exitCodeMarkdown()), 'regenerate the table in docs/exit-codes.md from exitCodeMarkdown()');
});
