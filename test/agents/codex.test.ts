// The real Codex CLI (npm, installed on demand; it only speaks the Responses API) through the
// release executable, in a tool loop: the model asks for exec_command, Codex runs it, the output
// goes back through the proxy, the model answers with it. To an OpenAI Responses upstream (passed
// through), to Anthropic and to a chat-completions-only server (both translated).
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { startAnthropicMock } from '../mocks/anthropic.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream, RecordedRequest } from '../mocks/server.ts';
import { AGENT, PROMPT, TOOL_OUTPUT } from './agent-script.ts';
import { agentSetup, type ReleaseProxy, runCodex, startRelease, TOKEN } from './harness.ts';
import { cellTest } from './matrix.ts';

const setup = await agentSetup();
type J = Record<string, any>;

describe('Codex through the release executable', { skip: setup.skip }, () => {
  let oa: MockUpstream;
  let an: MockUpstream;
  let chat: MockUpstream;
  let proxy: ReleaseProxy;

  before(async () => {
    oa = await startOpenAIMock({ agent: AGENT });
    an = await startAnthropicMock({ agent: AGENT });
    chat = await startOpenAIMock({ agent: AGENT, chatOnly: true });
    proxy = await startRelease(
      setup.bin!,
      `providers:
  - name: oa
    type: openai
    base_url: ${oa.url}/v1
    api_key: \${OPENAI_API_KEY}
  - name: an
    type: anthropic
    base_url: ${an.url}
    api_key: \${ANTHROPIC_API_KEY}
  - name: chat
    type: openai-compatible
    base_url: ${chat.url}/v1
    api_key: \${OPENAI_API_KEY}
routes:
  codex-openai: [oa/gpt-5.2]
  codex-claude: [an/claude-sonnet-4-6]
  codex-chat: [chat/qwen3-coder]
server:
  default_max_tokens: 32000
`,
    );
  });
  after(async () => {
    await proxy?.stop();
    for (const m of [oa, an, chat]) await m?.close();
  });

  async function toolLoop(
    model: string,
    upstream: MockUpstream,
    path: string,
    effort?: string,
  ): Promise<RecordedRequest[]> {
    const run = await runCodex(setup.clis!, proxy.url, model, PROMPT, effort);
    assert.equal(run.code, 0, `codex exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /The command printed: /, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(TOOL_OUTPUT));
    const calls = upstream.requests.filter((r) => r.path === path);
    assert.equal(calls.length, 2, `one turn asks for the tool, one answers with its output:\n${run.stderr}`);
    assert.ok(!JSON.stringify(calls[0]!.body).includes(TOOL_OUTPUT));
    assert.ok(JSON.stringify(calls[1]!.body).includes(TOOL_OUTPUT), 'the tool output went back upstream');
    return calls;
  }

  cellTest('codex', 'responses', 'tool loop with `exec_command`, streamed (passthrough)', async () => {
    const calls = await toolLoop('codex-openai', oa, '/v1/responses');
    assert.equal(calls[0]!.body.model, 'gpt-5.2');
    assert.equal(calls[0]!.body.store, false);
  });

  cellTest('codex', 'anthropic', 'tool loop with `exec_command`, streamed', async () => {
    const calls = await toolLoop('codex-claude', an, '/v1/messages', 'medium');
    assert.ok(calls.every((c) => c.body.stream === true));
    const tools = (calls[0]!.body.tools as J[]).map((t) => t.name);
    assert.ok(tools.includes('exec_command'));
    assert.ok(tools.includes('multi_agent_v1__spawn_agent'), 'namespace tools are offered, flattened');
  });

  cellTest('codex', 'anthropic', 'reasoning replayed as signed thinking on the next turn', async () => {
    const calls = an.requests.filter((r) => r.path === '/v1/messages');
    assert.equal(calls.length, 2, 'the tool loop ran first');
    const second = calls[1]!.body;
    assert.deepEqual(second.thinking, { type: 'adaptive' }, 'thinking stays on for the tool result turn');
    const assistant = (second.messages as J[]).find((m) => m.role === 'assistant')!;
    assert.equal(assistant.content[0].type, 'thinking', 'the signed block leads the tool-calling turn');
  });

  cellTest('codex', 'anthropic', 'exact usage (cached and reasoning tokens) in the request log', async () => {
    const calls = an.requests.filter((r) => r.path === '/v1/messages');
    const logs = proxy.requests('/v1/responses').filter((l) => l.provider === 'an');
    assert.equal(logs.length, 2);
    logs.forEach((log, i) => {
      const input = JSON.stringify(calls[i]!.body.messages).length;
      assert.equal(log.prompt_tokens, input + 3, 'input plus cache reads');
      assert.equal(log.completion_tokens, 7);
      assert.equal(log.cached_tokens, 3);
      assert.equal(log.reasoning_tokens, 5);
    });
  });

  cellTest('codex', 'chat', 'tool loop with `exec_command`, streamed', async () => {
    const calls = await toolLoop('codex-chat', chat, '/v1/chat/completions');
    assert.ok(calls.every((c) => c.body.stream === true));
    assert.ok(!(calls[0]!.body.messages as J[]).some((m) => m.role === 'developer'));
  });

  cellTest('codex', 'chat', 'chat-only detected from the upstream 404, remembered, shown in `/health`', async () => {
    assert.equal(
      chat.requests.filter((r) => r.path === '/v1/responses').length,
      1,
      'asked once, then remembered for the next turn',
    );
    const health = (await (
      await fetch(`${proxy.url}/health`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as J;
    assert.equal(health.components.providers.chat.responses_api, 'chat-only (detected)');
    assert.equal(health.components.providers.oa.responses_api, undefined);
  });
});
