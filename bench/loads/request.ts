// The non-streaming request every target gets: a small, typical chat completion.
import { PROXY_MODEL } from '../targets/ai-proxy-config.ts';

export const CHAT_BODY = JSON.stringify({
  model: PROXY_MODEL,
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Write one sentence about foxes.' },
  ],
  max_tokens: 64,
});
