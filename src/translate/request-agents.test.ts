// The chat <-> messages request rules coding agents depend on: Claude Code's real request to an
// OpenAI-format provider, and cache markers, effort and system placement for chat -> messages.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateMessagesRequest } from '../../test/mocks/anthropic-validate.ts';
import { validateChatRequest } from '../../test/mocks/openai-validate.ts';
import { chatToMessagesRequest } from './request-chat-to-messages.ts';
import { messagesToChatRequest } from './request-messages-to-chat.ts';

type J = Record<string, any>;
const claudeCode = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'claude-code-2.1.332-turn2.request.json'), 'utf8'),
) as J;

describe("Claude Code's request -> chat", () => {
  it('keeps its mid-conversation system message in place and sends what a chat server accepts', () => {
    const out = messagesToChatRequest(claudeCode, 'gpt-x') as J;
    assert.equal(validateChatRequest(out, true), undefined);
    assert.deepEqual(
      out.messages.map((m: J) => m.role),
      ['system', 'user', 'system', 'assistant', 'tool'],
    );
    assert.match(out.messages[2].content, /^# Environment/);
    assert.equal(out.reasoning_effort, undefined, 'adaptive thinking is the model default: nothing is sent');
    for (const key of ['thinking', 'context_management', 'output_config', 'cache_control'])
      assert.ok(!(key in out), `${key} has no chat equivalent`);
    assert.ok(out.tools.some((t: J) => t.function.name === 'Bash'));
  });

  it('maps explicitly enabled thinking and structured output', () => {
    const base = { messages: [{ role: 'user', content: 'x' }], max_tokens: 10 };
    const effortOf = (extra: J) => (messagesToChatRequest({ ...base, ...extra }, 'm') as J).reasoning_effort;
    assert.equal(effortOf({ thinking: { type: 'enabled', budget_tokens: 2048 } }), 'low');
    assert.equal(effortOf({ thinking: { type: 'enabled', budget_tokens: 32_000 } }), 'high');
    assert.equal(
      effortOf({ thinking: { type: 'enabled', budget_tokens: 2048 }, output_config: { effort: 'max' } }),
      'xhigh',
    );
    assert.equal(effortOf({ thinking: { type: 'disabled' }, output_config: { effort: 'high' } }), undefined);
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const out = messagesToChatRequest(
      { ...base, output_config: { format: { type: 'json_schema', schema } } },
      'm',
    ) as J;
    assert.deepEqual(out.response_format, { type: 'json_schema', json_schema: { name: 'output', schema } });
  });
});

describe('chat -> messages: cache markers, effort, system placement', () => {
  it('keeps cache_control on parts, messages and tools', () => {
    const out = chatToMessagesRequest(
      {
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'long rules', cache_control: { type: 'ephemeral' } }] },
          { role: 'user', content: 'question', cache_control: { type: 'ephemeral', ttl: '1h' } },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          {
            role: 'tool',
            tool_call_id: 'c1',
            content: [{ type: 'text', text: 'r', cache_control: { type: 'ephemeral' } }],
          },
        ],
        tools: [
          {
            type: 'function',
            function: { name: 'f', parameters: { type: 'object' } },
            cache_control: { type: 'ephemeral' },
          },
        ],
      },
      'claude',
      100,
    ) as J;
    assert.equal(validateMessagesRequest(out), undefined);
    assert.deepEqual(out.system, [{ type: 'text', text: 'long rules', cache_control: { type: 'ephemeral' } }]);
    assert.deepEqual(out.messages[0].content, [
      { type: 'text', text: 'question', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
    assert.deepEqual(out.messages[2].content[0].cache_control, { type: 'ephemeral' });
    assert.deepEqual(out.tools[0].cache_control, { type: 'ephemeral' });
  });

  it('keeps a mid-conversation system message in place and the leading ones on top', () => {
    const out = chatToMessagesRequest(
      {
        messages: [
          { role: 'system', content: 'A' },
          { role: 'user', content: 'one' },
          { role: 'developer', content: 'now terse' },
          { role: 'user', content: 'two' },
        ],
      },
      'claude',
      100,
    ) as J;
    assert.equal(out.system, 'A');
    assert.deepEqual(out.messages, [
      { role: 'user', content: [{ type: 'text', text: 'one' }] },
      { role: 'system', content: [{ type: 'text', text: 'now terse' }] },
      { role: 'user', content: [{ type: 'text', text: 'two' }] },
    ]);
  });

  it('turns reasoning_effort into adaptive thinking, except where Anthropic refuses it', () => {
    const user = [{ role: 'user', content: 'x' }];
    const on = chatToMessagesRequest({ messages: user, reasoning_effort: 'high', temperature: 0.3 }, 'c', 100) as J;
    assert.deepEqual(
      [on.thinking, on.output_config, on.temperature],
      [{ type: 'adaptive' }, { effort: 'high' }, undefined],
    );
    const tools = [{ type: 'function', function: { name: 'f' } }];
    const forced = chatToMessagesRequest(
      { messages: user, tools, tool_choice: 'required', reasoning_effort: 'high' },
      'c',
      100,
    ) as J;
    assert.equal(forced.thinking, undefined);
    const loop = chatToMessagesRequest(
      {
        reasoning_effort: 'medium',
        tools,
        messages: [
          ...user,
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'r' },
        ],
      },
      'c',
      100,
    ) as J;
    assert.equal(loop.thinking, undefined, 'a chat history has no thinking block to start the tool turn with');
    assert.equal(validateMessagesRequest({ ...loop, thinking: { type: 'adaptive' } }) !== undefined, true);
  });
});
