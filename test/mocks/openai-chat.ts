// /v1/chat/completions in OpenAI's exact wire format: JSON, and SSE chunks (role first, content
// pieces, tool calls interleaved by index, finish_reason, the usage chunk on request, [DONE]).
// With `agent` set it plays the scripted tool loop (agent.ts) when the request declares the
// agent's shell tool; with `reasoning` it streams `reasoning_content` first, as DeepSeek, vLLM
// and llama.cpp do. Otherwise: two interleaved tool calls when tools are given, else an echo.
import { agentAnswer, findShellTool, toolOutputText, type AgentScript } from './agent.ts';
import { validateChatRequest } from './openai-validate.ts';
import { lastUserText, type RecordedRequest, type Reply } from './server.ts';

type J = Record<string, unknown>;
const created = 1_700_000_000;
const data = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;

export const MOCK_TOOL_ARGS = [
  { city: 'Paris', unit: 'celsius' },
  { city: 'Berlin', unit: 'celsius' },
];
export const MOCK_REASONING = 'Thinking about which tool to use.';

export function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

function toolNames(body: J): string[] {
  const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: string } }[]) : [];
  return tools.map((t) => t.function?.name ?? 'tool');
}

function lastMessage(body: J): J | undefined {
  return (Array.isArray(body.messages) ? (body.messages as J[]) : []).at(-1);
}

interface Call {
  id: string;
  name: string;
  args: string;
}

interface Answer {
  text: string;
  calls: Call[];
}

function answer(body: J, agent: AgentScript | undefined): Answer {
  const last = lastMessage(body);
  const shell = agent ? findShellTool(toolNames(body)) : undefined;
  if (shell && agent) {
    if (last?.role === 'tool') return { text: agentAnswer(toolOutputText(last.content)), calls: [] };
    return {
      text: '',
      calls: [{ id: 'call_agent1', name: shell.name, args: JSON.stringify(shell.input(agent.command)) }],
    };
  }
  const names = toolNames(body);
  if (names.length > 0 && last?.role !== 'tool')
    return {
      text: '',
      calls: MOCK_TOOL_ARGS.map((a, i) => ({ id: `call_${i}`, name: names[i] ?? names[0]!, args: JSON.stringify(a) })),
    };
  return { text: `mock-openai: ${lastUserText(body)}`, calls: [] };
}

function usage(body: J, completion: number, reasoning: boolean) {
  const prompt = JSON.stringify(body.messages ?? '').length;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 2 },
    completion_tokens_details: { reasoning_tokens: reasoning ? 4 : 0 },
  };
}

export interface ChatMockOptions {
  agent?: AgentScript;
  reasoning?: boolean;
  /** Refuse what chat-only servers refuse (the `developer` role). */
  chatOnly?: boolean;
}

export function chatReply(options: ChatMockOptions): Reply {
  return {
    reject(req: RecordedRequest) {
      const message = validateChatRequest(req.body, options.chatOnly === true);
      return message
        ? { status: 400, body: { error: { message, type: 'invalid_request_error', param: 'messages', code: null } } }
        : undefined;
    },
    json(req: RecordedRequest) {
      const b = req.body;
      const a = answer(b, options.agent);
      const message: J = { role: 'assistant', content: a.calls.length > 0 && !a.text ? null : a.text, refusal: null };
      if (options.reasoning) message.reasoning_content = MOCK_REASONING;
      if (a.calls.length > 0)
        message.tool_calls = a.calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.args },
        }));
      return {
        id: 'chatcmpl-mock1',
        object: 'chat.completion',
        created,
        model: String(b.model),
        system_fingerprint: 'fp_mock',
        choices: [{ index: 0, message, logprobs: null, finish_reason: a.calls.length > 0 ? 'tool_calls' : 'stop' }],
        usage: usage(b, a.calls.length > 0 ? 20 : words(a.text).length, options.reasoning === true),
      };
    },
    events(req: RecordedRequest) {
      const b = req.body;
      const model = String(b.model);
      const includeUsage = (b.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
      const chunk = (delta: unknown, finish: string | null = null) => ({
        id: 'chatcmpl-mock1',
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_mock',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(includeUsage ? { usage: null } : {}),
      });
      const a = answer(b, options.agent);
      const out = [data(chunk({ role: 'assistant', content: null, refusal: null }))];
      if (options.reasoning) for (const w of words(MOCK_REASONING)) out.push(data(chunk({ reasoning_content: w })));
      for (const w of a.text ? words(a.text) : []) out.push(data(chunk({ content: w })));
      // All calls start, then their argument fragments alternate: the interleaving real
      // upstreams produce for parallel tool calls.
      a.calls.forEach((c, i) =>
        out.push(
          data(
            chunk({
              tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }],
            }),
          ),
        ),
      );
      const pieces = a.calls.map((c) => [c.args.slice(0, 9), c.args.slice(9, 20), c.args.slice(20)]);
      for (let p = 0; p < 3; p++)
        a.calls.forEach((_, i) =>
          out.push(data(chunk({ tool_calls: [{ index: i, function: { arguments: pieces[i]![p] } }] }))),
        );
      out.push(data(chunk({}, a.calls.length > 0 ? 'tool_calls' : 'stop')));
      if (includeUsage)
        out.push(
          data({
            id: 'chatcmpl-mock1',
            object: 'chat.completion.chunk',
            created,
            model,
            system_fingerprint: 'fp_mock',
            choices: [],
            usage: usage(b, a.calls.length > 0 ? 20 : words(a.text).length, options.reasoning === true),
          }),
        );
      out.push('data: [DONE]\n\n');
      return out;
    },
  };
}
