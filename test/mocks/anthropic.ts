// A mock Anthropic upstream speaking the exact wire format of /v1/messages: JSON, and SSE with
// message_start, ping, content blocks (text and tool_use with input_json_delta), message_delta
// with cumulative usage, and message_stop.
import {
  lastUserText,
  startMock,
  type MockOptions,
  type MockUpstream,
  type RecordedRequest,
  type Reply,
} from './server.ts';

export const MOCK_TOOL_INPUT = { city: 'Paris', unit: 'celsius' };

const ev = (type: string, payload: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;

function firstTool(body: Record<string, unknown>): string | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as { name?: string }[]) : [];
  return tools[0]?.name;
}

/** The mock answers with a tool call unless the last user turn already carries tool results. */
function wantsTool(body: Record<string, unknown>): string | undefined {
  const name = firstTool(body);
  if (!name) return undefined;
  const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  const last = messages[messages.length - 1]?.content;
  if (Array.isArray(last) && (last as { type?: string }[]).some((b) => b.type === 'tool_result')) return undefined;
  return name;
}

function inputTokens(body: Record<string, unknown>): number {
  return JSON.stringify(body.messages ?? '').length;
}

/** As the real API: prompt caching only where the request marks blocks with cache_control; then 16 tokens read from the cache. */
function cacheReadTokens(body: Record<string, unknown>): number {
  return JSON.stringify(body).includes('"cache_control"') ? 16 : 0;
}

const messages: Reply = {
  json(req: RecordedRequest) {
    const b = req.body;
    const tool = wantsTool(b);
    const text = `mock-anthropic: ${lastUserText(b)}`;
    return {
      id: 'msg_mock1',
      type: 'message',
      role: 'assistant',
      model: b.model,
      content: tool
        ? [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_mock1', name: tool, input: MOCK_TOOL_INPUT },
          ]
        : [{ type: 'text', text }],
      stop_reason: tool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: inputTokens(b),
        output_tokens: 7,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: cacheReadTokens(b),
      },
    };
  },
  events(req: RecordedRequest) {
    const b = req.body;
    const tool = wantsTool(b);
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
          usage: { input_tokens: inputTokens(b), cache_read_input_tokens: cacheReadTokens(b), output_tokens: 1 },
        },
      }),
      ev('ping', {}),
    ];
    const text = tool ? 'Let me check.' : `mock-anthropic: ${lastUserText(b)}`;
    out.push(ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    for (const w of text.match(/\S+\s*/g) ?? [text])
      out.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: w } }));
    out.push(ev('content_block_stop', { index: 0 }));
    if (tool) {
      const json = JSON.stringify(MOCK_TOOL_INPUT);
      out.push(
        ev('content_block_start', {
          index: 1,
          content_block: { type: 'tool_use', id: 'toolu_mock1', name: tool, input: {} },
        }),
      );
      for (const piece of [json.slice(0, 5), json.slice(5, 17), json.slice(17)]) {
        out.push(ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: piece } }));
      }
      out.push(ev('content_block_stop', { index: 1 }));
    }
    out.push(
      ev('message_delta', {
        delta: { stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: 7 },
      }),
    );
    out.push(ev('message_stop', {}));
    return out;
  },
};

export function startAnthropicMock(options?: MockOptions): Promise<MockUpstream> {
  return startMock((path) => (path === '/v1/messages' ? messages : undefined), options);
}
