import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatToMessagesRequest } from './request-chat-to-messages.ts';
import { messagesToChatRequest } from './request-messages-to-chat.ts';

describe('chatToMessagesRequest', () => {
  it('moves system/developer messages to system and merges same-role turns', () => {
    const out = chatToMessagesRequest(
      {
        model: 'x',
        messages: [
          { role: 'system', content: 'A' },
          { role: 'developer', content: [{ type: 'text', text: 'B' }] },
          { role: 'user', content: 'one' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'two' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            ],
          },
        ],
        temperature: 1.5,
        stop: 'END',
        user: 'u1',
      },
      'claude',
      1024,
    );
    assert.deepEqual(out, {
      model: 'claude',
      system: 'A\n\nB',
      max_tokens: 1024,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'one' },
            { type: 'text', text: 'two' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
      ],
      temperature: 1,
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
    });
  });

  it('maps tools, tool choice, tool calls and tool results', () => {
    const out = chatToMessagesRequest(
      {
        model: 'x',
        max_completion_tokens: 77,
        stream: true,
        tools: [
          {
            type: 'function',
            function: {
              name: 'f',
              description: 'd',
              parameters: { type: 'object', properties: { a: { type: 'string' } } },
            },
          },
        ],
        tool_choice: 'required',
        parallel_tool_calls: false,
        messages: [
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: 'calling',
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":"1"}' } },
              { id: 'c2', type: 'function', function: { name: 'f', arguments: 'not json' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'r1' },
          { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'r2' }] },
        ],
      },
      'claude',
      1024,
    );
    assert.equal(out.max_tokens, 77);
    assert.equal(out.stream, true);
    assert.deepEqual(out.tools, [
      { name: 'f', description: 'd', input_schema: { type: 'object', properties: { a: { type: 'string' } } } },
    ]);
    assert.deepEqual(out.tool_choice, { type: 'any', disable_parallel_tool_use: true });
    assert.deepEqual(out.messages, [
      { role: 'user', content: [{ type: 'text', text: 'go' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'calling' },
          { type: 'tool_use', id: 'c1', name: 'f', input: { a: '1' } },
          { type: 'tool_use', id: 'c2', name: 'f', input: { _raw_arguments: 'not json' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: 'r1' },
          { type: 'tool_result', tool_use_id: 'c2', content: 'r2' },
        ],
      },
    ]);
  });

  it('maps a named tool choice', () => {
    const out = chatToMessagesRequest(
      {
        messages: [],
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: { type: 'function', function: { name: 'f' } },
      },
      'c',
      1,
    );
    assert.deepEqual(out.tool_choice, { type: 'tool', name: 'f' });
    assert.deepEqual((out.tools as object[])[0], { name: 'f', input_schema: { type: 'object', properties: {} } });
  });
});

describe('messagesToChatRequest', () => {
  it('maps system, content blocks, images, tools and tool results', () => {
    const out = messagesToChatRequest(
      {
        model: 'claude',
        max_tokens: 100,
        system: [{ type: 'text', text: 'S' }],
        stop_sequences: ['X'],
        stream: true,
        metadata: { user_id: 'u' },
        tools: [{ name: 'f', description: 'd', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'f', disable_parallel_tool_use: true },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'BBBB' } },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'ok' },
              { type: 'tool_use', id: 't1', name: 'f', input: { q: 1 } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'R' }] },
              { type: 'text', text: 'and?' },
            ],
          },
        ],
      },
      'gpt',
    );
    assert.deepEqual(out, {
      model: 'gpt',
      messages: [
        { role: 'system', content: 'S' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,BBBB' } },
          ],
        },
        {
          role: 'assistant',
          content: 'ok',
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"q":1}' } }],
        },
        { role: 'tool', tool_call_id: 't1', content: 'R' },
        { role: 'user', content: 'and?' },
      ],
      max_tokens: 100,
      stop: ['X'],
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      user: 'u',
    });
  });

  it('maps tool_choice any and auto', () => {
    const base = { messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f', input_schema: {} }] };
    assert.equal(messagesToChatRequest({ ...base, tool_choice: { type: 'any' } }, 'g').tool_choice, 'required');
    assert.equal(messagesToChatRequest({ ...base, tool_choice: { type: 'auto' } }, 'g').tool_choice, 'auto');
    assert.equal(messagesToChatRequest({ ...base, tool_choice: { type: 'none' } }, 'g').tool_choice, 'none');
  });
});
