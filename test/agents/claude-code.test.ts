// The real Claude Code CLI (npm, installed on demand) through the release executable, in a tool
// loop: the model asks for the Bash tool with a command, Claude Code runs it, the output goes
// back through the proxy, the model answers with it. To an Anthropic provider (passed through)
// and to a chat-completions provider (translated).
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { startAnthropicMock } from '../mocks/anthropic.ts';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream, RecordedRequest } from '../mocks/server.ts';
import { AGENT, PROMPT, TOOL_OUTPUT } from './agent-script.ts';
import { agentSetup, type ReleaseProxy, runClaudeCode, startRelease } from './harness.ts';
import { cellTest } from './matrix.ts';

const setup = await agentSetup();

function toolResultText(req: RecordedRequest): string {
  return JSON.stringify(req.body.messages ?? []);
}

describe('Claude Code through the release executable', { skip: setup.skip }, () => {
  let an: MockUpstream;
  let chat: MockUpstream;
  let proxy: ReleaseProxy;

  before(async () => {
    an = await startAnthropicMock({ agent: AGENT });
    chat = await startOpenAIMock({ agent: AGENT, chatOnly: true });
    proxy = await startRelease(
      setup.bin!,
      `providers:
  - name: an
    type: anthropic
    base_url: ${an.url}
    api_key: \${ANTHROPIC_API_KEY}
  - name: chat
    type: openai-compatible
    base_url: ${chat.url}/v1
    api_key: \${OPENAI_API_KEY}
routes:
  claude-agent: [an/claude-sonnet-4-6]
  chat-agent: [chat/qwen3-coder]
`,
    );
  });
  after(async () => {
    await proxy?.stop();
    await an?.close();
    await chat?.close();
  });

  async function toolLoop(model: string, upstream: MockUpstream, path: string): Promise<RecordedRequest[]> {
    const run = await runClaudeCode(setup.clis!, proxy.url, model, PROMPT);
    assert.equal(run.code, 0, `claude exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
    const result = JSON.parse(run.stdout) as { result?: string; is_error?: boolean };
    assert.equal(result.is_error, false, run.stdout);
    assert.match(result.result ?? '', new RegExp(`The command printed: ${TOOL_OUTPUT}`));
    const calls = upstream.requests.filter((r) => r.path === path);
    assert.equal(calls.length, 2, 'one turn asks for the tool, one answers with its output');
    assert.ok(!toolResultText(calls[0]!).includes(TOOL_OUTPUT));
    assert.ok(toolResultText(calls[1]!).includes(TOOL_OUTPUT), 'the tool output went back upstream');
    return calls;
  }

  cellTest('claude', 'anthropic', 'tool loop with the Bash tool, streamed', async () => {
    const calls = await toolLoop('claude-agent', an, '/v1/messages');
    assert.ok(calls.every((c) => c.body.stream === true));
  });

  cellTest(
    'claude',
    'anthropic',
    '`?beta=true`, `anthropic-beta`, `context_management`, `output_config` passed through',
    async () => {
      const calls = an.requests.filter((r) => r.path === '/v1/messages');
      assert.ok(calls.length > 0, 'the tool loop ran first');
      for (const c of calls) {
        assert.equal(c.query, 'beta=true');
        assert.match(String(c.headers['anthropic-beta']), /claude-code-20250219/);
        assert.ok(c.body.context_management, 'context_management');
        assert.ok(c.body.output_config, 'output_config');
        assert.equal((c.body.thinking as { type?: string }).type, 'adaptive');
      }
    },
  );

  cellTest('claude', 'chat', 'tool loop with the Bash tool, streamed', async () => {
    await toolLoop('chat-agent', chat, '/v1/chat/completions');
    const log = proxy.requests('/v1/messages').at(-1)!;
    assert.equal(log.provider, 'chat');
    assert.ok((log.prompt_tokens as number) > 0 && (log.completion_tokens as number) > 0, 'usage is metered');
  });

  cellTest('claude', 'chat', 'mid-conversation `system` message kept in place', async () => {
    const first = chat.requests.find((r) => r.path === '/v1/chat/completions');
    assert.ok(first, 'the tool loop ran first');
    const roles = (first.body.messages as { role: string; content: unknown }[]).map((m) => m.role);
    assert.equal(roles[0], 'system');
    const mid = roles.indexOf('system', 1);
    assert.ok(mid > roles.indexOf('user'), `a system message after the first user message: ${roles.join(',')}`);
  });
});
