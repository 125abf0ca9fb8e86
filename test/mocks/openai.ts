// A mock OpenAI upstream speaking the exact wire format of /v1/chat/completions (JSON and SSE,
// tool calls streamed interleaved by index, usage chunk on request), /v1/embeddings,
// /v1/completions and /v1/responses.
import {
  lastUserText,
  startMock,
  type MockOptions,
  type MockUpstream,
  type RecordedRequest,
  type Reply,
} from './server.ts';

const created = 1_700_000_000;
const data = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

function toolNames(body: Record<string, unknown>): string[] {
  const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: string } }[]) : [];
  return tools.map((t) => t.function?.name ?? 'tool');
}

/** Asked for tools and not yet answered with their results: the mock calls two of them. */
function wantsToolCalls(body: Record<string, unknown>): boolean {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: string }[]) : [];
  return toolNames(body).length > 0 && messages[messages.length - 1]?.role !== 'tool';
}

export const MOCK_EMBEDDING = [0.5, 0.25, -1];
export const MOCK_TOOL_ARGS = [
  { city: 'Paris', unit: 'celsius' },
  { city: 'Berlin', unit: 'celsius' },
];

/** Usage as the API reports it; with a prompt_cache_key, 8 of the prompt tokens come from the cache. */
function usage(body: Record<string, unknown>, completion: number) {
  const prompt = JSON.stringify(body.messages ?? body.input ?? '').length;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(typeof body.prompt_cache_key === 'string' ? { prompt_tokens_details: { cached_tokens: 8 } } : {}),
  };
}

/** A `chat.completion` object with one choice, as the OpenAI API returns it. */
function completion(
  model: string,
  created: number,
  message: Record<string, unknown>,
  finish_reason: string,
  tokens: ReturnType<typeof usage>,
) {
  return {
    id: 'chatcmpl-mock1',
    object: 'chat.completion',
    created,
    model,
    system_fingerprint: 'fp_mock',
    choices: [{ index: 0, message, logprobs: null, finish_reason }],
    usage: tokens,
  };
}

const chat: Reply = {
  json(req: RecordedRequest) {
    const b = req.body;
    const model = String(b.model);
    if (wantsToolCalls(b)) {
      const names = toolNames(b);
      const tool_calls = MOCK_TOOL_ARGS.map((args, i) => ({
        id: `call_${i}`,
        type: 'function',
        function: { name: names[i] ?? names[0], arguments: JSON.stringify(args) },
      }));
      return completion(
        model,
        created,
        { role: 'assistant', content: null, refusal: null, tool_calls },
        'tool_calls',
        usage(b, 20),
      );
    }
    const text = `mock-openai: ${lastUserText(b)}`;
    return completion(
      model,
      created,
      { role: 'assistant', content: text, refusal: null },
      'stop',
      usage(b, words(text).length),
    );
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
    const out = [data(chunk({ role: 'assistant', content: null, refusal: null }))];
    let completion: number;
    if (wantsToolCalls(b)) {
      const names = toolNames(b);
      const args = MOCK_TOOL_ARGS.map((a) => JSON.stringify(a));
      // Both calls start, then their argument fragments alternate: the interleaving real
      // upstreams produce for parallel tool calls.
      args.forEach((_, i) =>
        out.push(
          data(
            chunk({
              tool_calls: [
                {
                  index: i,
                  id: `call_${i}`,
                  type: 'function',
                  function: { name: names[i] ?? names[0], arguments: '' },
                },
              ],
            }),
          ),
        ),
      );
      const pieces = args.map((a) => [a.slice(0, 9), a.slice(9, 20), a.slice(20)]);
      for (let p = 0; p < 3; p++)
        args.forEach((_, i) =>
          out.push(data(chunk({ tool_calls: [{ index: i, function: { arguments: pieces[i]![p] } }] }))),
        );
      out.push(data(chunk({}, 'tool_calls')));
      completion = 20;
    } else {
      const text = `mock-openai: ${lastUserText(b)}`;
      for (const w of words(text)) out.push(data(chunk({ content: w })));
      out.push(data(chunk({}, 'stop')));
      completion = words(text).length;
    }
    if (includeUsage)
      out.push(
        data({
          id: 'chatcmpl-mock1',
          object: 'chat.completion.chunk',
          created,
          model,
          system_fingerprint: 'fp_mock',
          choices: [],
          usage: usage(b, completion),
        }),
      );
    out.push('data: [DONE]\n\n');
    return out;
  },
};

const embeddings: Reply = {
  json: (req) => ({
    object: 'list',
    // The SDK asks for base64 (packed float32) unless told otherwise.
    data: [
      {
        object: 'embedding',
        index: 0,
        embedding:
          req.body.encoding_format === 'base64'
            ? Buffer.from(new Float32Array(MOCK_EMBEDDING).buffer).toString('base64')
            : MOCK_EMBEDDING,
      },
    ],
    model: req.body.model,
    usage: { prompt_tokens: 4, total_tokens: 4 },
  }),
  events: () => [],
};

const completions: Reply = {
  json: (req) => ({
    id: 'cmpl-mock1',
    object: 'text_completion',
    created,
    model: req.body.model,
    choices: [{ text: `mock-openai: ${String(req.body.prompt)}`, index: 0, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
  }),
  events: (req) => [
    data({
      id: 'cmpl-mock1',
      object: 'text_completion',
      created,
      model: req.body.model,
      choices: [{ text: 'mock', index: 0, logprobs: null, finish_reason: null }],
    }),
    data({
      id: 'cmpl-mock1',
      object: 'text_completion',
      created,
      model: req.body.model,
      choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }],
    }),
    'data: [DONE]\n\n',
  ],
};

const responses: Reply = {
  json: (req) => ({
    id: 'resp_mock1',
    object: 'response',
    created_at: created,
    status: 'completed',
    model: req.body.model,
    output: [
      {
        type: 'message',
        id: 'msg_mock1',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: `mock-openai: ${String(req.body.input)}`, annotations: [] }],
      },
    ],
    usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 },
  }),
  events: (req) => [
    `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { id: 'resp_mock1', status: 'in_progress', model: req.body.model } })}\n\n`,
    `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', delta: 'mock' })}\n\n`,
    `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: { id: 'resp_mock1', status: 'completed', model: req.body.model, usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 } } })}\n\n`,
  ],
};

const ROUTES: Record<string, Reply> = {
  '/v1/chat/completions': chat,
  '/v1/embeddings': embeddings,
  '/v1/completions': completions,
  '/v1/responses': responses,
};

export function startOpenAIMock(options?: MockOptions): Promise<MockUpstream> {
  return startMock((path) => ROUTES[path], options);
}
