// A mock OpenAI upstream speaking the exact wire format of /v1/chat/completions
// (openai-chat.ts), /v1/responses (openai-responses.ts), /v1/embeddings and /v1/completions.
import { chatReply, type ChatMockOptions } from './openai-chat.ts';
import { responsesReply } from './openai-responses.ts';
import { startMock, type MockOptions, type MockUpstream, type Reply } from './server.ts';

export { MOCK_TOOL_ARGS } from './openai-chat.ts';

const created = 1_700_000_000;
const data = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;

export const MOCK_EMBEDDING = [0.5, 0.25, -1];

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

export interface OpenAIMockOptions extends MockOptions, ChatMockOptions {}

/**
 * An OpenAI upstream; with `chatOnly` a server that speaks only chat completions (no
 * /v1/responses: 404, as DeepSeek, llama.cpp and many vLLM/Ollama setups answer).
 */
export function startOpenAIMock(options: OpenAIMockOptions = {}): Promise<MockUpstream> {
  const routes: Record<string, Reply> = {
    '/v1/chat/completions': chatReply(options),
    '/v1/embeddings': embeddings,
    '/v1/completions': completions,
  };
  if (!options.chatOnly) routes['/v1/responses'] = responsesReply(options.agent);
  return startMock((path) => routes[path], options);
}
