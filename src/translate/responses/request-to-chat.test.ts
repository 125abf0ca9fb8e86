import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateChatRequest } from '../../../test/mocks/openai-validate.ts';
import { TranslateError } from '../errors.ts';
import { jsonFixture } from './fixtures/sdk.ts';
import { responsesToChatRequest } from './request-to-chat.ts';
import { responsesToMessagesRequest } from './request-to-messages.ts';

type J = Record<string, any>;
const turn2 = jsonFixture('codex-0.171.0-turn2.request.json');
const translate = (body: J) => responsesToChatRequest(body, 'deepseek-chat', true) as { body: J; dropped: string[] };

describe('Responses request -> Chat Completions request', () => {
  it("translates Codex's real second turn into a request a chat-only server accepts", () => {
    const { body, dropped } = translate(turn2);
    assert.equal(validateChatRequest(body, true), undefined);
    const messages = body.messages as J[];
    assert.equal(messages[0]!.role, 'system');
    assert.match(messages[0]!.content, /^You are a coding agent running in the Codex CLI/);
    assert.match(messages[0]!.content, /<permissions instructions>/, 'every leading developer text is in it');
    assert.equal(messages.filter((m) => m.role === 'system').length, 1);
    assert.deepEqual(
      messages.slice(1).map((m) => m.role),
      ['user', 'user', 'assistant', 'tool'],
    );
    assert.equal(messages[2]!.content, 'run the test command');
    assert.deepEqual(messages[3], {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_mock1',
          type: 'function',
          function: { name: 'exec_command', arguments: '{"cmd":"echo aip-$((6*7))-ok"}' },
        },
      ],
    });
    assert.equal(messages[4]!.tool_call_id, 'call_mock1');
    assert.match(messages[4]!.content, /aip-42-ok/);
    const names = (body.tools as J[]).map((t) => t.function.name);
    assert.ok(names.includes('exec_command'));
    assert.ok(names.includes('multi_agent_v1__spawn_agent'), 'namespace members are flattened');
    assert.deepEqual(dropped, ['web_search']);
    assert.deepEqual(
      [body.stream, body.stream_options, body.tool_choice, body.parallel_tool_calls, body.reasoning_effort],
      [true, { include_usage: true }, 'auto', true, 'medium'],
    );
    for (const key of ['store', 'include', 'prompt_cache_key', 'client_metadata', 'input', 'reasoning'])
      assert.ok(!(key in body), `${key} is not sent to a chat server`);
  });

  it('names dropped tool types in the header only as short names from a bounded list', () => {
    const tools: J[] = [{ type: 'web_search' }, { type: 'x\r\nset-cookie: a=b' }, { type: 'Z'.repeat(100) }];
    for (let i = 0; i < 20_000; i++) tools.push({ type: `hosted_${i}` });
    const { dropped } = translate({ input: 'hi', tools });
    assert.equal(dropped.length, 16, '15 names and `other`');
    assert.deepEqual(dropped.slice(0, 2), ['web_search', 'other']);
    assert.ok(
      dropped.every((t) => /^[a-z][a-z0-9_]{0,63}$/.test(t)),
      'nothing a client chose beyond a short name',
    );
  });

  it('refuses requests that need stored state, naming the field', () => {
    for (const [extra, param] of [
      [{ previous_response_id: 'resp_1' }, 'previous_response_id'],
      [{ store: true }, 'store'],
      [{ conversation: 'conv_1' }, 'conversation'],
      [{ background: true }, 'background'],
      [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]'],
    ] as const)
      assert.throws(
        () => translate({ input: 'hi', ...extra }),
        (e: unknown) => e instanceof TranslateError && e.param === param && /cannot/.test(e.message),
        param,
      );
    assert.doesNotThrow(() => translate({ input: 'hi', store: false }));
  });

  it('puts images a tool returned in a user message after the tool results', () => {
    const { body } = translate({
      input: [
        { role: 'user', content: 'look' },
        { type: 'function_call', call_id: 'c1', name: 'view_image', arguments: '{"path":"a.png"}' },
        {
          type: 'function_call_output',
          call_id: 'c1',
          output: [
            { type: 'input_text', text: 'here' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
          ],
        },
      ],
    });
    assert.deepEqual((body.messages as J[]).slice(2), [
      { role: 'tool', tool_call_id: 'c1', content: 'here' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Images returned by the tool calls above:' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ]);
    assert.equal(validateChatRequest(body, true), undefined);
  });

  it('maps tool_choice, strict, custom tools and text.format by the written rule', () => {
    const tools = [
      { type: 'function', name: 'a', parameters: { type: 'object' }, strict: true },
      { type: 'function', name: 'b', parameters: null, strict: false },
      { type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } },
      { type: 'web_search' },
    ];
    const forced = translate({ input: 'x', tools, tool_choice: { type: 'function', name: 'a' } }).body;
    assert.deepEqual(forced.tool_choice, { type: 'function', function: { name: 'a' } });
    assert.deepEqual(forced.tools[0].function, { name: 'a', parameters: { type: 'object' }, strict: true });
    assert.deepEqual(forced.tools[1].function, { name: 'b', parameters: { type: 'object', properties: {} } });
    assert.match(forced.tools[2].function.parameters.properties.input.description, /lark grammar:\nstart: x/);
    const allowed = translate({
      input: 'x',
      tools,
      tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'b' }] },
    }).body;
    assert.deepEqual([(allowed.tools as J[]).map((t) => t.function.name), allowed.tool_choice], [['b'], 'required']);
    assert.throws(() => translate({ input: 'x', tools, tool_choice: { type: 'web_search_preview' } }), TranslateError);
    assert.throws(
      () => translate({ input: 'x', tools: [{ type: 'web_search' }], tool_choice: 'required' }),
      TranslateError,
    );
    const schema = { type: 'object', properties: { n: { type: 'number' } } };
    const json = translate({ input: 'x', text: { format: { type: 'json_schema', name: 'n', schema, strict: true } } });
    assert.deepEqual(json.body.response_format, {
      type: 'json_schema',
      json_schema: { name: 'n', schema, strict: true },
    });
    const replay = translate({
      input: [
        { role: 'user', content: 'patch it' },
        { type: 'custom_tool_call', call_id: 'p1', name: 'apply_patch', input: '*** Begin Patch' },
        { type: 'custom_tool_call_output', call_id: 'p1', output: 'done' },
      ],
      tools,
    }).body;
    assert.equal(replay.messages[1].tool_calls[0].function.arguments, '{"input":"*** Begin Patch"}');
  });

  it('keeps a mid-conversation developer message in place, as a system message', () => {
    const { body } = translate({
      instructions: 'be brief',
      input: [
        { role: 'developer', content: 'lead' },
        { role: 'user', content: 'one' },
        { role: 'developer', content: 'now in plan mode' },
        { role: 'user', content: 'two' },
      ],
    });
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'be brief\n\nlead' },
      { role: 'user', content: 'one' },
      { role: 'system', content: 'now in plan mode' },
      { role: 'user', content: 'two' },
    ]);
  });
});

describe('hostile Responses requests', () => {
  it('answers malformed shapes with a TranslateError or a plain request, never a crash', () => {
    const shapes: J[] = [
      { input: 42 },
      { input: [null, 3, 'x'] },
      { input: [{ role: 'user', content: [null, { type: 'input_text', text: 5 }] }] },
      { input: 'x', tools: [null, 7, { type: 'namespace', tools: [null] }] },
      { input: 'x', tool_choice: { type: 'allowed_tools', tools: [null] } },
      { input: [{ type: 'function_call_output', call_id: 5, output: [null] }] },
    ];
    for (const body of shapes) {
      for (const run of [
        () => responsesToChatRequest(body, 'm', true),
        () => responsesToMessagesRequest(body, 'm', 100),
      ]) {
        try {
          run();
        } catch (error) {
          assert.ok(error instanceof TranslateError, `${JSON.stringify(body)}: ${String(error)}`);
          assert.ok(!error.message.includes('\n'), 'one line');
        }
      }
    }
  });
});
