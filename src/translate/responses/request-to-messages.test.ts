import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mockSignature, validateMessagesRequest } from '../../../test/mocks/anthropic-validate.ts';
import { carryThinking } from './carrier.ts';
import { fixture, jsonFixture, readWithSdk, translate as run } from './fixtures/sdk.ts';
import { responsesToMessagesRequest } from './request-to-messages.ts';
import { MessagesToResponsesStream } from './stream-from-messages.ts';
import { readTools } from './tools.ts';

type J = Record<string, any>;
const turn1 = jsonFixture('codex-0.171.0-turn1.request.json');
const turn2 = jsonFixture('codex-0.171.0-turn2.request.json');
const translate = (body: J) =>
  responsesToMessagesRequest(body, 'claude-sonnet-4-6', 4096) as { body: J; dropped: string[] };

describe('Responses request -> Anthropic Messages request', () => {
  it("translates Codex's real second turn into a request the Messages API accepts", () => {
    const { body, dropped } = translate(turn2);
    assert.equal(validateMessagesRequest(body), undefined);
    assert.match(body.system[0].text, /^You are a coding agent running in the Codex CLI/);
    assert.deepEqual(
      (body.messages as J[]).map((m) => [m.role, m.content.map((b: J) => b.type)]),
      [
        ['user', ['text', 'text']],
        ['assistant', ['tool_use']],
        ['user', ['tool_result']],
      ],
    );
    assert.deepEqual(body.messages[1].content[0], {
      type: 'tool_use',
      id: 'call_mock1',
      name: 'exec_command',
      input: { cmd: 'echo aip-$((6*7))-ok' },
    });
    assert.match(body.messages[2].content[0].content, /aip-42-ok/);
    assert.deepEqual(body.cache_control, { type: 'ephemeral' }, 'the prompt is cached, as OpenAI does by itself');
    assert.equal(body.max_tokens, 4096);
    // The replayed reasoning came from OpenAI: Anthropic cannot verify it, so it is left out, and
    // with a tool-calling last turn and no thinking block thinking must stay off.
    assert.equal(body.thinking, undefined);
    assert.deepEqual(dropped, ['web_search']);
    assert.ok((body.tools as J[]).some((t) => t.name === 'multi_agent_v1__wait_agent'));
    assert.ok(
      (body.tools as J[]).every((t) => t.strict === undefined),
      'strict: false is not sent',
    );
  });

  it('turns effort into adaptive thinking on a first turn', () => {
    const { body } = translate(turn1);
    assert.deepEqual([body.thinking, body.output_config], [{ type: 'adaptive' }, { effort: 'medium' }]);
    assert.equal(validateMessagesRequest(body), undefined);
  });

  it('replays the signed thinking block of its own answer, so the next turn keeps thinking', async () => {
    const tools = readTools(turn1);
    const { text } = run(
      new MessagesToResponsesStream(turn1, 'claude', tools),
      fixture('anthropic-thinking-tools.sse'),
    );
    const { final } = await readWithSdk(text);
    const calls = (final.output as J[]).filter((o) => o.type === 'function_call');
    const next = {
      ...turn1,
      input: [
        ...(turn1.input as J[]),
        ...(final.output as J[]),
        ...calls.map((c) => ({ type: 'function_call_output', call_id: c.call_id, output: 'ok' })),
      ],
    };
    const { body } = translate(next);
    const assistant = (body.messages as J[]).find((m) => m.role === 'assistant')!;
    assert.deepEqual(assistant.content[0], {
      type: 'thinking',
      thinking: 'I should list the files and count them.',
      signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds',
    });
    assert.deepEqual(
      assistant.content.slice(1).map((b: J) => [b.type, b.name ?? b.text]),
      [
        ['text', 'Let me look.'],
        ['tool_use', 'exec_command'],
        ['tool_use', 'multi_agent_v1__spawn_agent'],
      ],
    );
    assert.deepEqual(body.thinking, { type: 'adaptive' });
  });

  it('passes the mock validator with a replayed mock-signed block', () => {
    const thinking = carryThinking({ kind: 'thinking', thinking: 'plan', signature: mockSignature('plan') });
    const { body } = translate({
      reasoning: { effort: 'high' },
      tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object' } }],
      input: [
        { role: 'user', content: 'go' },
        { type: 'reasoning', summary: [], encrypted_content: thinking },
        { type: 'function_call', call_id: 't1', name: 'exec_command', arguments: '{}' },
        { type: 'function_call_output', call_id: 't1', output: 'done' },
      ],
    });
    assert.equal(validateMessagesRequest(body), undefined);
    assert.equal(body.thinking.type, 'adaptive');
  });

  it('keeps thinking off where Anthropic refuses it, and temperature off where thinking is on', () => {
    const tools = [{ type: 'function', name: 'f', parameters: { type: 'object' } }];
    const forced = translate({ input: 'x', tools, tool_choice: 'required', reasoning: { effort: 'high' } }).body;
    assert.deepEqual([forced.thinking, forced.tool_choice], [undefined, { type: 'any' }]);
    const hot = translate({ input: 'x', reasoning: { effort: 'low' }, temperature: 0.2, top_p: 0.5 }).body;
    assert.deepEqual([hot.temperature, hot.top_p, hot.output_config], [undefined, undefined, { effort: 'low' }]);
    const cool = translate({ input: 'x', temperature: 1.7, reasoning: { effort: 'none' } }).body;
    assert.deepEqual([cool.temperature, cool.thinking], [1, { type: 'disabled' }]);
    const serial = translate({ input: 'x', tools, parallel_tool_calls: false }).body;
    assert.deepEqual(serial.tool_choice, { type: 'auto', disable_parallel_tool_use: true });
  });

  it('places system text, images, files and structured output by the written rule', () => {
    const { body } = translate({
      instructions: 'be brief',
      max_output_tokens: 300,
      text: { format: { type: 'json_object' } },
      safety_identifier: 'u-1',
      input: [
        { role: 'system', content: 'lead' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'see' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
            { type: 'input_image', image_url: 'https://example.com/a.png' },
            { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBE' },
          ],
        },
        { role: 'developer', content: 'mid' },
        { role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
      ],
    });
    assert.deepEqual(body.system, [
      { type: 'text', text: 'be brief' },
      { type: 'text', text: 'lead' },
    ]);
    assert.deepEqual(body.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'see' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' }, title: 'a.pdf' },
        ],
      },
      { role: 'system', content: 'mid' },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
    ]);
    assert.deepEqual(
      [body.max_tokens, body.output_config, body.metadata],
      [300, { format: { type: 'json_schema', schema: { type: 'object' } } }, { user_id: 'u-1' }],
    );
  });
});
