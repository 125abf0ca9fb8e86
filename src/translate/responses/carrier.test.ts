import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { carryThinking, uncarryThinking } from './carrier.ts';

describe('thinking carried in encrypted_content', () => {
  it('round-trips thinking and redacted blocks', () => {
    for (const block of [
      { kind: 'thinking', thinking: 'plan ✓', signature: 'Sig/+=' },
      { kind: 'redacted', data: 'opaque' },
    ] as const)
      assert.deepEqual(uncarryThinking(carryThinking(block)), block);
  });

  it("takes only what it marked as its own: another provider's reasoning is not replayed", () => {
    const foreign = Buffer.from(JSON.stringify({ kind: 'thinking', thinking: 'x', signature: 'y' })).toString(
      'base64url',
    );
    assert.equal(uncarryThinking(foreign), undefined);
    assert.equal(uncarryThinking('gAAAAABo-openai-encrypted'), undefined);
    assert.equal(uncarryThinking('aip.v1.not-base64-json'), undefined);
    assert.equal(uncarryThinking(null), undefined);
  });
});
