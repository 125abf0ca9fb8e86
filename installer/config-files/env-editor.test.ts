import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEnvValue, setEnvValue } from './env-editor.ts';
import { parseEnv } from '../../src/config/index.ts';

const OPERATOR_FILE = `# ai-proxy settings (edited by hand)
PORT=8080
AUTH_TOKEN="a-very-long-secret-token-that-is-quoted-1234"

# providers
export OPENAI_API_KEY=sk-abc#not-a-comment
ANTHROPIC_API_KEY='sk-ant-xyz' # inline comment
LOG_LEVEL = debug
EMPTY=
`;

test('changes only PORT and keeps every other byte', () => {
  const updated = setEnvValue(OPERATOR_FILE, 'PORT', '9090');
  assert.equal(updated, OPERATOR_FILE.replace('PORT=8080', 'PORT=9090'));
  assert.equal(getEnvValue(updated, 'PORT'), '9090');
  const before = parseEnv(OPERATOR_FILE);
  const after = parseEnv(updated);
  assert.deepEqual({ ...after, PORT: '8080' }, before);
});

test('keeps the quote style, export prefix, spacing and inline comment of the changed line', () => {
  assert.equal(setEnvValue('export PORT = "8080" # public\n', 'PORT', '81'), 'export PORT = "81" # public\n');
  assert.equal(setEnvValue("PORT='8080'\n", 'PORT', '81'), "PORT='81'\n");
  assert.equal(setEnvValue('PORT=8080 # the port\n', 'PORT', '81'), 'PORT=81 # the port\n');
  assert.equal(setEnvValue('  PORT=8080\n', 'PORT', '81'), '  PORT=81\n');
});

test('changes the last assignment when a key repeats (the one that wins)', () => {
  assert.equal(setEnvValue('PORT=1\nX=2\nPORT=3\n', 'PORT', '4'), 'PORT=1\nX=2\nPORT=4\n');
});

test('does not touch a commented-out assignment or a key with a longer name', () => {
  const text = '# PORT=1\nPORTS=2\nMY_PORT=3\n';
  assert.equal(setEnvValue(text, 'PORT', '4'), `${text}PORT=4\n`);
});

test('appends a missing key, adding a newline when the file lacks one', () => {
  assert.equal(setEnvValue('A=1', 'PORT', '80'), 'A=1\nPORT=80\n');
  assert.equal(setEnvValue('A=1\n', 'PORT', '80'), 'A=1\nPORT=80\n');
  assert.equal(setEnvValue('', 'PORT', '80'), 'PORT=80\n');
});

test('keeps Windows line endings and a missing final newline', () => {
  assert.equal(setEnvValue('A=1\r\nPORT=1\r\nB=2', 'PORT', '2'), 'A=1\r\nPORT=2\r\nB=2');
});

test('refuses values that would need quoting', () => {
  assert.throws(() => setEnvValue('', 'PORT', '80 # x'), /special characters/);
  assert.throws(() => setEnvValue('', 'PORT', '$(reboot)'), /special characters/);
});

test('reads values the way the proxy does', () => {
  assert.equal(getEnvValue(OPERATOR_FILE, 'AUTH_TOKEN'), 'a-very-long-secret-token-that-is-quoted-1234');
  assert.equal(getEnvValue(OPERATOR_FILE, 'ANTHROPIC_API_KEY'), 'sk-ant-xyz');
  assert.equal(getEnvValue(OPERATOR_FILE, 'OPENAI_API_KEY'), 'sk-abc#not-a-comment');
  assert.equal(getEnvValue(OPERATOR_FILE, 'MISSING'), undefined);
});
