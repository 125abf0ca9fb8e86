// A mock Anthropic upstream speaking the exact wire format of /v1/messages: JSON, and SSE with
// message_start, ping, content blocks (thinking with signature_delta, text, tool_use with
// input_json_delta), message_delta with cumulative usage, and message_stop; plus
// /v1/messages/count_tokens. Requests the real API refuses get its 400 (anthropic-validate.ts).
// With `agent` set it plays the scripted tool loop (agent.ts) whenever the request declares the
// agent's shell tool; with thinking on (adaptive or enabled) each answer starts with a signed
// thinking block, and the next turn must send it back intact.
import { agentAnswer, findShellTool, toolOutputText, type AgentScript } from './agent.ts';
import { mockSignature, validateMessagesRequest } from './anthropic-validate.ts';
import {
  lastUserText,
  startMock,
  type MockOptions,
  type MockUpstream,
  type RecordedRequest,
  type Reply,
} from './server.ts';

export const MOCK_TOOL_INPUT = { city: 'Paris', unit: 'celsius' };
export const MOCK_THINKING = 'The user wants the command run; I will call the shell tool.';

type J = Record<string, unknown>;

const ev = (type: string, payload: J) => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;

function toolNames(body: J): string[] {
  return (Array.isArray(body.tools) ? (body.tools as { name?: string }[]) : []).map((t) => t.name ?? '');
}

function lastContent(body: J): unknown {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as { role?: string; content?: unknown }[];
  return messages.filter((m) => m.role !== 'system').at(-1)?.content;
}

function toolResults(body: J): J[] {
  const last = lastContent(body);
  return Array.isArray(last) ? (last as J[]).filter((b) => b.type === 'tool_result') : [];
}

interface Answer {
  text: string;
  tool?: { name: string; input: J };
  thinking?: string;
}

/** What the model says: the agent loop when scripted, else a tool call to the first tool, else an echo. */
function answer(body: J, agent: AgentScript | undefined): Answer {
  const thinking = ['enabled', 'adaptive'].includes(String((body.thinking as J | undefined)?.type))
    ? MOCK_THINKING
    : undefined;
  const results = toolResults(body);
  const shell = agent ? findShellTool(toolNames(body)) : undefined;
  if (shell && agent) {
    if (results.length > 0) return { text: agentAnswer(toolOutputText(results[0]!.content)), thinking };
    return { text: 'Running it.', tool: { name: shell.name, input: shell.input(agent.command) }, thinking };
  }
  const first = toolNames(body)[0];
  if (first && results.length === 0)
    return { text: 'Let me check.', tool: { name: first, input: MOCK_TOOL_INPUT }, thinking };
  return { text: `mock-anthropic: ${lastUserText(body)}`, thinking };
}

/** Displayed thinking text: empty when the request asked for it omitted (the signature still comes). */
function shownThinking(body: J, thinking: string): string {
  return (body.thinking as J | undefined)?.display === 'omitted' ? '' : thinking;
}

function inputTokens(body: J): number {
  return JSON.stringify(body.messages ?? '').length;
}

const CACHE_READ = 3;

/** As the real API: cache reads only where the request asks for caching (top-level or on a block). */
function cacheRead(body: J): number {
  return JSON.stringify(body).includes('"cache_control"') ? CACHE_READ : 0;
}

function reply(agent: AgentScript | undefined): Reply {
  return {
    reject(req: RecordedRequest) {
      const message = validateMessagesRequest(req.body);
      return message
        ? { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } } }
        : undefined;
    },
    json(req: RecordedRequest) {
      const b = req.body;
      const a = answer(b, agent);
      const content: J[] = [];
      if (a.thinking) {
        const shown = shownThinking(b, a.thinking);
        content.push({ type: 'thinking', thinking: shown, signature: mockSignature(shown) });
      }
      content.push({ type: 'text', text: a.text });
      if (a.tool) content.push({ type: 'tool_use', id: 'toolu_mock1', name: a.tool.name, input: a.tool.input });
      return {
        id: 'msg_mock1',
        type: 'message',
        role: 'assistant',
        model: b.model,
        content,
        stop_reason: a.tool ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: inputTokens(b),
          output_tokens: 7,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: cacheRead(b),
          ...(a.thinking ? { output_tokens_details: { thinking_tokens: 5 } } : {}),
        },
      };
    },
    events(req: RecordedRequest) {
      const b = req.body;
      const a = answer(b, agent);
      const out = [
        ev('message_start', {
          message: {
            id: 'msg_mock1',
            type: 'message',
            role: 'assistant',
            model: b.model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: {
              input_tokens: inputTokens(b),
              cache_creation_input_tokens: 0,
              cache_read_input_tokens: cacheRead(b),
              output_tokens: 1,
            },
          },
        }),
        ev('ping', {}),
      ];
      let index = 0;
      if (a.thinking) {
        const shown = shownThinking(b, a.thinking);
        out.push(
          ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }),
        );
        if (shown)
          for (const piece of [shown.slice(0, 20), shown.slice(20)])
            out.push(ev('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } }));
        out.push(
          ev('content_block_delta', { index, delta: { type: 'signature_delta', signature: mockSignature(shown) } }),
        );
        out.push(ev('content_block_stop', { index }));
        index++;
      }
      out.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const w of a.text.match(/\S+\s*/g) ?? [a.text])
        out.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text: w } }));
      out.push(ev('content_block_stop', { index }));
      index++;
      if (a.tool) {
        const json = JSON.stringify(a.tool.input);
        out.push(
          ev('content_block_start', {
            index,
            content_block: { type: 'tool_use', id: 'toolu_mock1', name: a.tool.name, input: {} },
          }),
        );
        for (const piece of [json.slice(0, 5), json.slice(5, 17), json.slice(17)])
          out.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } }));
        out.push(ev('content_block_stop', { index }));
      }
      out.push(
        ev('message_delta', {
          delta: { stop_reason: a.tool ? 'tool_use' : 'end_turn', stop_sequence: null },
          usage: { output_tokens: 7, ...(a.thinking ? { output_tokens_details: { thinking_tokens: 5 } } : {}) },
        }),
      );
      out.push(ev('message_stop', {}));
      return out;
    },
  };
}

const countTokens: Reply = {
  json: (req) => ({ input_tokens: inputTokens(req.body) }),
  events: () => [],
};

export interface AnthropicMockOptions extends MockOptions {
  agent?: AgentScript;
}

export function startAnthropicMock(options: AnthropicMockOptions = {}): Promise<MockUpstream> {
  const messages = reply(options.agent);
  return startMock((path) => {
    if (path === '/v1/messages') return messages;
    if (path === '/v1/messages/count_tokens') return countTokens;
    return undefined;
  }, options);
}
