import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MAX_JSON_DEPTH, parsedBytes, scanJson } from './json-cost.ts';

const scan = (text: string) => scanJson(Buffer.from(text));

describe('scanJson', () => {
  it('counts containers and separators outside strings only', () => {
    assert.deepEqual(scan('{"a":[1,2,{"b":"x,{[y"}],"c":"\\"[,"}'), { containers: 3, separators: 3, depth: 3 });
  });

  it('tells an escaped quote from the end of a string, whatever the backslashes before it', () => {
    assert.deepEqual(scan('["a\\\\",[1]]'), { containers: 2, separators: 1, depth: 2 }, 'the string ends after \\\\');
    assert.deepEqual(scan('["a\\\\\\",[1]"]'), { containers: 1, separators: 0, depth: 1 }, '\\\\\\" is a quote inside');
  });

  it('stops at the first level past the limit', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const shape = scanJson(Buffer.from(deep));
    assert.equal(shape.depth, MAX_JSON_DEPTH + 1);
    assert.equal(shape.containers, MAX_JSON_DEPTH + 1, 'nothing after the limit was scanned');
    assert.equal(scan(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`).depth, MAX_JSON_DEPTH);
  });

  it('scans a Uint8Array view of a larger buffer', () => {
    const whole = Buffer.from('xx[1,2]yy');
    assert.deepEqual(scanJson(whole.subarray(2, 7)), { containers: 1, separators: 1, depth: 1 });
  });
});

describe('parsedBytes', () => {
  // The real heap JSON.parse takes, with a full collection before and after.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  function heapOf(text: string): number {
    gc();
    const before = process.memoryUsage().heapUsed;
    const value: unknown = JSON.parse(text);
    gc();
    const used = process.memoryUsage().heapUsed - before;
    return value === undefined ? 0 : used;
  }

  it('estimates at least what V8 takes, within a small factor, for very different shapes', () => {
    const size = 2 * 1024 * 1024;
    const shapes: Record<string, string> = {
      'empty objects': `[${'{},'.repeat(size / 3 - 1)}{}]`,
      numbers: `[${'1,'.repeat(size / 2 - 1)}1]`,
      'small objects': `[${'{"a":1},'.repeat(size / 8 - 1)}{"a":1}]`,
      text: JSON.stringify({ messages: [{ role: 'user', content: 'lorem ipsum '.repeat(size / 12) }] }),
      messages: JSON.stringify({
        messages: Array.from({ length: size / 100 }, () => ({ role: 'user', content: 'x'.repeat(60) })),
      }),
    };
    for (const [name, text] of Object.entries(shapes)) {
      const estimate = parsedBytes(text.length, scan(text));
      assert.ok(estimate >= text.length, name);
      const real = heapOf(text);
      assert.ok(estimate >= real * 0.9 && estimate <= real * 4, `${name}: estimate ${estimate}, real ${real}`);
    }
    // The one every attack uses: 10 MiB of `{},` is ~22x its size once parsed.
    const objects = shapes['empty objects']!;
    assert.ok(parsedBytes(objects.length, scan(objects)) > 20 * objects.length);
  });
});
