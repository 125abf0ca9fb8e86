import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from './args.ts';
import { FLAGS, helpText } from './flags.ts';
import { InstallError } from './errors.ts';

const code = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof InstallError ? error.exitCode : -1;
  }
  return undefined;
};

test('defaults', () => {
  const options = parseOptions([], {});
  assert.equal(options.port, undefined);
  assert.equal(options.bind, '0.0.0.0');
  assert.equal(options.healthTimeout, 60);
  assert.equal(options.yes, false);
});

test('flags and their environment variables; flags win', () => {
  const options = parseOptions(
    ['--port', '9090', '--bind=127.0.0.1', '--health-timeout', '5', '-y', '--json', '--archive', '/a.tar.gz'],
    {},
  );
  assert.deepEqual(
    [options.port, options.bind, options.healthTimeout, options.yes, options.json, options.archive],
    [9090, '127.0.0.1', 5, true, true, '/a.tar.gz'],
  );
  const fromEnv = parseOptions([], {
    AI_PROXY_PORT: '7000',
    AI_PROXY_BIND: '::',
    AI_PROXY_YES: '1',
    AI_PROXY_HEALTH_TIMEOUT: '9',
  });
  assert.deepEqual([fromEnv.port, fromEnv.bind, fromEnv.yes, fromEnv.healthTimeout], [7000, '::', true, 9]);
  assert.equal(parseOptions(['--port', '7001'], { AI_PROXY_PORT: '7000' }).port, 7001);
});

test('bad ports exit 8, from the flag or the environment', () => {
  assert.equal(
    code(() => parseOptions(['--port', '0'], {})),
    8,
  );
  assert.equal(
    code(() => parseOptions(['--port', '65536'], {})),
    8,
  );
  assert.equal(
    code(() => parseOptions(['--port', ' 80'], {})),
    8,
  );
  assert.equal(
    code(() => parseOptions([], { AI_PROXY_PORT: '8e3' })),
    8,
  );
});

test('a negative or too large --port is an invalid port (exit 8) with a one-line message', () => {
  for (const argv of [['--port', '-1'], ['--port', '70000'], ['--port=-1'], ['--yes', '--port', '-80', '--json']]) {
    try {
      parseOptions(argv, {});
      assert.fail(`${argv.join(' ')} was accepted`);
    } catch (error) {
      assert.ok(error instanceof InstallError, String(error));
      assert.equal(error.exitCode, 8, argv.join(' '));
      assert.doesNotMatch(error.message, /\n/);
      assert.match(error.message, /invalid port from --port/);
    }
  }
  // A dash-led word that is not a number is still a missing value (usage).
  assert.equal(
    code(() => parseOptions(['--port', '--yes'], {})),
    2,
  );
});

test('usage errors exit 2', () => {
  assert.equal(
    code(() => parseOptions(['--nope'], {})),
    2,
  );
  assert.equal(
    code(() => parseOptions(['extra'], {})),
    2,
  );
  assert.equal(
    code(() => parseOptions(['--port'], {})),
    2,
  );
  assert.equal(
    code(() => parseOptions(['--bind', 'example.com'], {})),
    2,
  );
  assert.equal(
    code(() => parseOptions(['--bind', '999.1.1.1'], {})),
    2,
  );
  assert.equal(
    code(() => parseOptions(['--health-timeout', '0'], {})),
    2,
  );
  assert.equal(
    code(() => parseOptions(['--health-timeout', '1.5'], {})),
    2,
  );
  assert.equal(
    code(() => parseOptions(['--purge'], {})),
    2,
  );
  assert.equal(
    code(() => parseOptions(['--uninstall', '--port', '80'], {})),
    2,
  );
  assert.equal(
    code(() => parseOptions(['--yes=1'], {})),
    2,
  );
});

test('--drain-timeout: whole seconds 0-86400 (also AI_PROXY_DRAIN_TIMEOUT), else a one-line usage error', () => {
  assert.equal(parseOptions([], {}).drainTimeout, undefined, 'by default the installer does not wait');
  assert.equal(parseOptions(['--drain-timeout', '0'], {}).drainTimeout, 0);
  assert.equal(parseOptions(['--drain-timeout', '86400'], {}).drainTimeout, 86400);
  assert.equal(parseOptions([], { AI_PROXY_DRAIN_TIMEOUT: '30' }).drainTimeout, 30);
  for (const bad of ['86401', '-1', '1.5', '10s', '', '010', '1e3', '99999999999']) {
    let error: unknown;
    try {
      parseOptions(['--drain-timeout', bad], {});
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof InstallError, `"${bad}" is refused`);
    assert.equal(error.exitCode, 2);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    assert.match(error.message, /invalid drain timeout from --drain-timeout/);
  }
  assert.throws(() => parseOptions(['--uninstall', '--drain-timeout', '5'], {}), /cannot be combined with --uninstall/);
});

test('--help lists every flag', () => {
  const help = helpText('1.0.0');
  for (const flag of FLAGS) assert.ok(help.includes(`--${flag.name}`), flag.name);
});
