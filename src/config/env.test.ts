import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvError, parseEnv, validateEnv } from './env.ts';
import { layerVars } from './secrets.ts';

const TOKEN = 'a'.repeat(32);

describe('parseEnv', () => {
  it('reads plain, quoted, exported and commented lines', () => {
    const vars = parseEnv(
      [
        '# comment',
        '',
        'PORT=9000',
        'export A=1',
        'B="x y # not a comment"',
        "C='single $x'",
        'D=plain # trailing',
        'E="line\\nbreak \\"q\\""',
        'F=',
      ].join('\n'),
    );
    assert.deepEqual(vars, {
      PORT: '9000',
      A: '1',
      B: 'x y # not a comment',
      C: 'single $x',
      D: 'plain',
      E: 'line\nbreak "q"',
      F: '',
    });
  });

  it('handles CRLF files', () => {
    assert.deepEqual(parseEnv('A=1\r\nB=2\r\n'), { A: '1', B: '2' });
  });

  it('names the line of a syntax error', () => {
    assert.throws(() => parseEnv('A=1\nnot a pair\n'), /^EnvError: \.env:2: expected KEY=value/);
    assert.throws(() => parseEnv('1A=x'), /\.env:1: expected KEY=value/);
    assert.throws(() => parseEnv('A="open'), /\.env:1: A: missing closing "/);
    assert.throws(() => parseEnv("A='x' y"), /\.env:1: A: unexpected text after the closing quote/);
  });
});

describe('validateEnv', () => {
  it('applies defaults', () => {
    assert.deepEqual(validateEnv({ AUTH_TOKEN: TOKEN }), {
      port: 8080,
      authToken: TOKEN,
      logLevel: 'info',
      drain: { timeoutSeconds: 600, delaySeconds: 0 },
      store: { databaseUrl: undefined, dataDir: undefined },
    });
  });

  it('reads DRAIN_TIMEOUT and DRAIN_DELAY in whole seconds', () => {
    assert.deepEqual(validateEnv({ AUTH_TOKEN: TOKEN, DRAIN_TIMEOUT: '30', DRAIN_DELAY: ' 5 ' }).drain, {
      timeoutSeconds: 30,
      delaySeconds: 5,
    });
    assert.deepEqual(validateEnv({ AUTH_TOKEN: TOKEN, DRAIN_TIMEOUT: '0' }).drain.timeoutSeconds, 0);
  });

  it('reads the store variables, DATABASE_URL only as a postgres:// URL', () => {
    const url = 'postgres://aip:secret@db.internal:5432/aiproxy';
    assert.deepEqual(validateEnv({ AUTH_TOKEN: TOKEN, DATABASE_URL: url, DATA_DIR: '/app/data' }).store, {
      databaseUrl: url,
      dataDir: '/app/data',
    });
    assert.throws(
      () => validateEnv({ AUTH_TOKEN: TOKEN, DATABASE_URL: 'mysql://db/x' }),
      /DATABASE_URL: expected postgres:\/\/USER:PASSWORD@HOST:5432\/DATABASE/,
    );
    assert.throws(() => validateEnv({ AUTH_TOKEN: TOKEN, DATABASE_URL: 'not a url' }), /DATABASE_URL/);
  });

  it('reads PORT and LOG_LEVEL', () => {
    assert.deepEqual(validateEnv({ AUTH_TOKEN: TOKEN, PORT: '1', LOG_LEVEL: 'DEBUG' }), {
      port: 1,
      authToken: TOKEN,
      logLevel: 'debug',
      drain: { timeoutSeconds: 600, delaySeconds: 0 },
      store: { databaseUrl: undefined, dataDir: undefined },
    });
  });

  const cases: [Record<string, string>, RegExp][] = [
    [{}, /AUTH_TOKEN: missing/],
    [{ AUTH_TOKEN: 'short' }, /AUTH_TOKEN: too short \(5 characters, need at least 32/],
    [{ AUTH_TOKEN: `${'a'.repeat(31)} b` }, /AUTH_TOKEN: must not contain spaces/],
    [{ AUTH_TOKEN: TOKEN, PORT: '0' }, /PORT: "0" is not a port number/],
    [{ AUTH_TOKEN: TOKEN, PORT: '65536' }, /PORT: "65536"/],
    [{ AUTH_TOKEN: TOKEN, PORT: '80a' }, /PORT: "80a"/],
    [{ AUTH_TOKEN: TOKEN, LOG_LEVEL: 'loud' }, /LOG_LEVEL: "loud" is not one of debug, info/],
    [{ AUTH_TOKEN: TOKEN, DRAIN_TIMEOUT: '10m' }, /DRAIN_TIMEOUT: "10m" is not a number of seconds from 0 to 86400/],
    [{ AUTH_TOKEN: TOKEN, DRAIN_TIMEOUT: '-1' }, /DRAIN_TIMEOUT: "-1"/],
    [{ AUTH_TOKEN: TOKEN, DRAIN_TIMEOUT: '86401' }, /DRAIN_TIMEOUT: "86401"/],
    [{ AUTH_TOKEN: TOKEN, DRAIN_DELAY: '301' }, /DRAIN_DELAY: "301" is not a number of seconds from 0 to 300/],
    [{ AUTH_TOKEN: TOKEN, DRAIN_DELAY: '1.5' }, /DRAIN_DELAY: "1.5"/],
  ];
  for (const [record, message] of cases) {
    it(`rejects ${JSON.stringify(record).slice(0, 60)}`, () => {
      assert.throws(
        () => validateEnv(record),
        (e: Error) => e instanceof EnvError && message.test(e.message),
      );
    });
  }
});

describe('layerVars without secret files', () => {
  it('lets the real environment win over the file', () => {
    assert.deepEqual(layerVars({ A: 'file', B: 'file' }, {}, { A: 'env', C: undefined }).vars, { A: 'env', B: 'file' });
  });
});

describe('validateEnv: the console', () => {
  const hash = `$scrypt$ln=15,r=8,p=1$${'A'.repeat(24)}$${'B'.repeat(44)}`;
  const tls = { TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem' };

  it('is off unless CONSOLE_PORT or CONSOLE_ON_PUBLIC_PORT is set, and on loopback by default', () => {
    assert.equal(validateEnv({ AUTH_TOKEN: TOKEN }).console, undefined);
    assert.deepEqual(validateEnv({ AUTH_TOKEN: TOKEN, CONSOLE_PORT: '9090' }).console, {
      port: 9090,
      host: '127.0.0.1',
      onPublicPort: false,
      passwordHash: undefined,
    });
    const both = validateEnv({
      AUTH_TOKEN: TOKEN,
      ...tls,
      CONSOLE_ON_PUBLIC_PORT: 'true',
      CONSOLE_PASSWORD_HASH: hash,
    });
    assert.deepEqual(both.console, { port: undefined, host: '127.0.0.1', onPublicPort: true, passwordHash: hash });
  });

  it('refuses the public port without HTTPS, clashing ports, bad hashes and settings of an off console', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ CONSOLE_ON_PUBLIC_PORT: 'true' }, /CONSOLE_ON_PUBLIC_PORT: needs HTTPS/],
      [{ CONSOLE_ON_PUBLIC_PORT: 'perhaps' }, /not true or false/],
      [{ CONSOLE_PORT: '8080' }, /taken by PORT/],
      [{ CONSOLE_PORT: '0' }, /CONSOLE_PORT/],
      [{ CONSOLE_PORT: '9090', CONSOLE_HOST: 'a b' }, /CONSOLE_HOST/],
      [{ CONSOLE_PORT: '9090', CONSOLE_PASSWORD_HASH: 'hunter2' }, /CONSOLE_PASSWORD_HASH: not a hash/],
      [{ CONSOLE_HOST: '0.0.0.0' }, /CONSOLE_HOST: set while the console is off/],
    ];
    for (const [vars, message] of cases)
      assert.throws(
        () => validateEnv({ AUTH_TOKEN: TOKEN, ...vars }),
        (e: Error) => e instanceof EnvError && message.test(e.message),
      );
  });
});
