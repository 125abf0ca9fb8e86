import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractUsageObject } from './relay.ts';

describe('extractUsageObject', () => {
  it('finds the last usage object without parsing the rest', () => {
    assert.deepEqual(extractUsageObject('{"data":[1,2],"usage":{"prompt_tokens":4,"d":{"x":"}"}}}'), {
      prompt_tokens: 4,
      d: { x: '}' },
    });
    assert.equal(extractUsageObject('{"usage":null}'), undefined);
    assert.equal(extractUsageObject('{"a":1}'), undefined);
  });
});
