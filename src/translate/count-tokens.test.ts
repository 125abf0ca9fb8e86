import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { estimateInputTokens } from './count-tokens.ts';

describe('estimateInputTokens', () => {
  it('counts text at four ASCII characters a token, other characters one each, plus framing', () => {
    assert.equal(estimateInputTokens({ messages: [{ role: 'user', content: 'abcdefgh' }] }), 4 + 2);
    assert.equal(estimateInputTokens({ messages: [{ role: 'user', content: '日本語' }] }), 4 + 3);
    assert.equal(estimateInputTokens({ messages: [{ role: 'user', content: '😀' }] }), 4 + 1);
  });

  it('counts images, tool calls and results, system and tools; not earlier thinking', () => {
    const body = {
      system: [{ type: 'text', text: 'x'.repeat(40) }],
      tools: [{ name: 'f', description: 'ddd', input_schema: { type: 'object' } }],
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(99) } }],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'y'.repeat(4000), signature: 's' },
            { type: 'tool_use', id: 't', name: 'f', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'z'.repeat(8) }] },
      ],
    };
    const expected = 4 + 10 + (8 + 5 / 4 + 17 / 4) + (4 + 1600) + (4 + 1 / 4 + 2 / 4) + (4 + 2);
    assert.equal(estimateInputTokens(body), Math.ceil(expected));
  });

  it("lands near Claude Code's own figure for its real request", () => {
    const body = JSON.parse(
      readFileSync(join(import.meta.dirname, 'fixtures', 'claude-code-2.1.332-turn2.request.json'), 'utf8'),
    ) as Record<string, unknown>;
    const n = estimateInputTokens(body);
    // The fixture's long texts are shortened; its JSON is ~19 kB: a few thousand tokens.
    assert.ok(n > 2000 && n < 8000, String(n));
  });
});
