import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  anthropicUsage,
  openaiUsage,
  chatCompletionToMessage,
  messageToChatCompletion,
  upstreamErrorInfo,
} from './response-json.ts';
import { toAnthropicStop, toOpenAIFinish } from './stop-reasons.ts';

describe('JSON response translation', () => {
  it('turns an Anthropic message with text and tool_use into a chat completion', () => {
    const out = messageToChatCompletion(
      {
        id: 'msg_1',
        model: 'claude',
        content: [
          { type: 'thinking', thinking: 'hmm' },
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
          { type: 'tool_use', id: 'tu1', name: 'f', input: { x: 1 } },
        ],
        stop_reason: 'tool_use',
        usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3, cache_creation_input_tokens: 2 },
      },
      123,
    );
    assert.deepEqual(out, {
      id: 'msg_1',
      object: 'chat.completion',
      created: 123,
      model: 'claude',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'ab',
            refusal: null,
            tool_calls: [{ id: 'tu1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 15, completion_tokens: 5, total_tokens: 20, prompt_tokens_details: { cached_tokens: 3 } },
    });
  });

  it('turns a chat completion with tool calls into an Anthropic message', () => {
    const out = chatCompletionToMessage({
      id: 'chatcmpl-1',
      model: 'gpt',
      choices: [
        {
          message: { content: null, tool_calls: [{ id: 'c1', function: { name: 'f', arguments: '{"y":2}' } }] },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 4 } },
    });
    assert.deepEqual(out, {
      id: 'msg_chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'gpt',
      content: [{ type: 'tool_use', id: 'c1', name: 'f', input: { y: 2 } }],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 4, cache_read_input_tokens: 4 },
    });
  });

  it('maps stop reasons both ways', () => {
    assert.deepEqual(
      [
        'end_turn',
        'stop_sequence',
        'max_tokens',
        'tool_use',
        'pause_turn',
        'refusal',
        'model_context_window_exceeded',
      ].map(toOpenAIFinish),
      ['stop', 'stop', 'length', 'tool_calls', 'stop', 'content_filter', 'length'],
    );
    assert.deepEqual(['stop', 'length', 'tool_calls', 'function_call', 'content_filter'].map(toAnthropicStop), [
      'end_turn',
      'max_tokens',
      'tool_use',
      'tool_use',
      'refusal',
    ]);
    assert.equal(toOpenAIFinish(null), null);
  });

  it('counts cache tokens as prompt tokens, and says which were cache reads and writes', () => {
    assert.deepEqual(
      anthropicUsage({ input_tokens: 1, cache_creation_input_tokens: 2, cache_read_input_tokens: 3, output_tokens: 4 }),
      { prompt: 6, completion: 4, cached: 3, cacheWrite: 2 },
    );
    assert.deepEqual(anthropicUsage({ input_tokens: 1, output_tokens: 4 }), { prompt: 1, completion: 4 });
  });

  it('reads OpenAI cached prompt tokens (chat and Responses)', () => {
    assert.deepEqual(
      openaiUsage({ prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 8 } }),
      { prompt: 10, completion: 2, cached: 8 },
    );
    assert.deepEqual(openaiUsage({ input_tokens: 10, output_tokens: 2, input_tokens_details: { cached_tokens: 4 } }), {
      prompt: 10,
      completion: 2,
      cached: 4,
    });
    assert.deepEqual(openaiUsage({ prompt_tokens: 10, completion_tokens: 2 }), { prompt: 10, completion: 2 });
  });

  it('reads upstream error bodies of either format', () => {
    assert.deepEqual(upstreamErrorInfo('{"error":{"message":"m","type":"t","code":"c"}}'), {
      message: 'm',
      type: 't',
      code: 'c',
    });
    assert.deepEqual(upstreamErrorInfo('{"type":"error","error":{"type":"overloaded_error","message":"busy"}}'), {
      message: 'busy',
      type: 'overloaded_error',
      code: undefined,
    });
    assert.deepEqual(upstreamErrorInfo('<html>bad gateway</html>'), {
      message: '<html>bad gateway</html>',
      type: undefined,
      code: undefined,
    });
  });
});
