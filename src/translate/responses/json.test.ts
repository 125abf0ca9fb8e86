import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uncarryThinking } from './carrier.ts';
import { clientAnswering } from './fixtures/sdk.ts';
import { chatCompletionToResponse, messageToResponse } from './json.ts';
import { readTools } from './tools.ts';

type J = Record<string, any>;
const request = {
  model: 'agent',
  tools: [
    { type: 'function', name: 'exec_command', parameters: { type: 'object' } },
    { type: 'namespace', name: 'ns', description: 'd', tools: [{ type: 'function', name: 'spawn' }] },
  ],
};

/** What responses.create() of the real SDK returns for this JSON body. */
async function viaSdk(body: J) {
  return clientAnswering(JSON.stringify(body), 'application/json').responses.create({ model: 'm', input: 'x' });
}

describe('non-streaming answers -> Response', () => {
  it('translates an Anthropic message: thinking, text, tool calls, usage, stop reason', async () => {
    const r = await viaSdk(
      messageToResponse(
        {
          id: 'msg_1',
          model: 'claude-x',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'S' },
            { type: 'text', text: 'Doing it.' },
            { type: 'tool_use', id: 'toolu_1', name: 'exec_command', input: { cmd: 'ls' } },
            { type: 'tool_use', id: 'toolu_2', name: 'ns__spawn', input: {} },
          ],
          stop_reason: 'tool_use',
          usage: {
            input_tokens: 10,
            cache_read_input_tokens: 90,
            output_tokens: 20,
            output_tokens_details: { thinking_tokens: 6 },
          },
        },
        request,
        'claude-x',
        readTools(request),
      ),
    );
    assert.equal(r.status, 'completed');
    assert.equal(r.output_text, 'Doing it.');
    const [rs, , c1, c2] = r.output as J[];
    assert.deepEqual(uncarryThinking(rs!.encrypted_content), { kind: 'thinking', thinking: 'hmm', signature: 'S' });
    assert.deepEqual([c1!.call_id, c1!.arguments], ['toolu_1', '{"cmd":"ls"}']);
    assert.deepEqual([c2!.name, c2!.namespace, c2!.arguments], ['spawn', 'ns', '{}']);
    assert.deepEqual(r.usage, {
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 90 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 6 },
      total_tokens: 120,
    });
  });

  it('translates a chat completion: reasoning_content, text, tool calls, length as incomplete', async () => {
    const r = await viaSdk(
      chatCompletionToResponse(
        {
          id: 'chatcmpl-1',
          model: 'deepseek-chat',
          choices: [
            {
              index: 0,
              finish_reason: 'length',
              message: {
                role: 'assistant',
                content: 'partial',
                reasoning_content: 'why',
                tool_calls: [
                  { id: 'call_1', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"pwd"}' } },
                ],
              },
            },
          ],
          usage: { prompt_tokens: 7, completion_tokens: 3, completion_tokens_details: { reasoning_tokens: 1 } },
        },
        request,
        'deepseek-chat',
        readTools(request),
      ),
    );
    assert.deepEqual(
      (r.output as J[]).map((o) => o.type),
      ['reasoning', 'message', 'function_call'],
    );
    assert.deepEqual([r.status, r.incomplete_details], ['incomplete', { reason: 'max_output_tokens' }]);
    assert.equal(r.output_text, 'partial');
    assert.deepEqual(r.usage?.output_tokens_details, { reasoning_tokens: 1 });
    assert.equal(r.model, 'deepseek-chat');
  });
});
