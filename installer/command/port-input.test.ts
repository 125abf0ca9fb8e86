import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { parsePort } from './port-input.ts';
import { isPortFree } from '../host/ports.ts';

const GOOD: Array<[string, number]> = [
  ['1', 1],
  ['22', 22],
  ['80', 80],
  ['443', 443],
  ['1024', 1024],
  ['8080', 8080],
  ['9999', 9999],
  ['10000', 10000],
  ['49151', 49151],
  ['65534', 65534],
  ['65535', 65535],
  ['12345', 12345],
  ['3000', 3000],
];

const BAD: string[] = [
  '',
  '0',
  '00',
  '08080',
  '0080',
  '65536',
  '70000',
  '99999',
  '100000',
  '123456',
  '-1',
  '-80',
  '+80',
  ' 80',
  '80 ',
  ' 80 ',
  '\t80',
  '80\n',
  '8 0',
  '8e3',
  '8E3',
  '1e4',
  '0x50',
  '0X50',
  '0o120',
  '0b1010',
  '80.0',
  '80.',
  '.80',
  '8,080',
  '8_080',
  '80a',
  'a80',
  'abc',
  'port',
  'NaN',
  'Infinity',
  '-0',
  '+0',
  '٨٠',
  '８０',
  '８0',
  '߁',
  '𝟖𝟎',
  '८०',
  '৮০',
  '80/tcp',
  ':80',
  '80:80',
  'null',
  'undefined',
  '[80]',
  '"80"',
  '\u200b80',
  '80\u00a0',
  '1'.repeat(6),
  '9'.repeat(20),
  '0000000080',
];

test('accepts plain decimal ports from 1 to 65535', () => {
  for (const [input, port] of GOOD) assert.deepEqual(parsePort(input), { ok: true, port }, input);
});

test('rejects everything that is not a plain decimal 1-65535, with a reason', () => {
  for (const input of BAD) {
    const result = parsePort(input);
    assert.equal(result.ok, false, `should reject ${JSON.stringify(input)}`);
    if (!result.ok) assert.ok(result.reason.length > 10, `a reason for ${JSON.stringify(input)}`);
  }
});

test('every number 1..65535 round-trips, and its zero-padded form is refused', () => {
  for (let port = 1; port <= 65535; port += 97) {
    assert.deepEqual(parsePort(String(port)), { ok: true, port });
    assert.equal(parsePort(`0${port}`).ok, false);
  }
});

test('isPortFree sees a port held by another process and a free one', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    assert.equal(await isPortFree(port, '127.0.0.1'), false);
    assert.equal(await isPortFree(port, '0.0.0.0'), false);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assert.equal(await isPortFree(port, '127.0.0.1'), true);
});

test('isPortFree rejects a bind address that is not on this host', async () => {
  await assert.rejects(isPortFree(40000, '192.0.2.123'), /not an address of this host/);
});
