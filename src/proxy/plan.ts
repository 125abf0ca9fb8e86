// For one target, decides how a client request goes upstream: as is (same format), or
// translated between the OpenAI chat and Anthropic messages formats; and how the answer comes back.
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientApi } from '../providers/types.ts';
import { chatToMessagesRequest } from '../translate/request-chat-to-messages.ts';
import { messagesToChatRequest } from '../translate/request-messages-to-chat.ts';
import {
  anthropicUsage,
  chatCompletionToMessage,
  messageToChatCompletion,
  openaiUsage,
} from '../translate/response-json.ts';
import type { StreamTranslator } from '../translate/stream.ts';
import { AnthropicToOpenAIStream } from '../translate/stream-anthropic-to-openai.ts';
import { OpenAIToAnthropicStream } from '../translate/stream-openai-to-anthropic.ts';
import { AnthropicPassthrough, OpenAIPassthrough } from '../translate/stream-passthrough.ts';
import { asObject, type Json, type Usage } from '../translate/types.ts';
import type { RuntimeTarget } from './runtime.ts';

export interface Plan {
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
  stream: boolean;
  /** Null when the upstream JSON goes to the client unchanged. */
  translateJson: ((upstream: Json) => Json) | null;
  usageOf: (json: Json) => Usage | undefined;
  streamTranslator: () => StreamTranslator;
}

const openaiUsageOf = (j: Json) => openaiUsage(j.usage);
const anthropicUsageOf = (j: Json) => (j.usage ? anthropicUsage(j.usage) : undefined);

/** The plan, or undefined when this provider cannot serve this API even with translation. */
export function planRequest(
  api: ClientApi,
  target: RuntimeTarget,
  body: Json,
  raw: Buffer,
  clientHeaders: IncomingHttpHeaders,
  defaultMaxTokens: number,
): Plan | undefined {
  const p = target.provider;
  const a = p.adapter;
  const stream = body.stream === true;
  if (a.wire === 'echo') return undefined;
  if (a.native.has(api)) {
    if (a.wire === 'openai') {
      const clientWantsUsage = asObject(body.stream_options).include_usage === true;
      const injectUsage = stream && p.streamUsage && !clientWantsUsage && (api === 'chat' || api === 'completions');
      const rewrite = body.model !== target.model || injectUsage;
      const out = rewrite
        ? JSON.stringify(
            injectUsage
              ? {
                  ...body,
                  model: target.model,
                  stream_options: { ...asObject(body.stream_options), include_usage: true },
                }
              : { ...body, model: target.model },
          )
        : raw;
      return {
        path: a.path(p.basePath, api, target.model, p.config),
        headers: p.headers,
        body: out,
        stream,
        translateJson: null,
        usageOf: openaiUsageOf,
        streamTranslator: () => new OpenAIPassthrough(injectUsage),
      };
    }
    // Anthropic to Anthropic: beta features the client opted into must reach the upstream.
    const beta = clientHeaders['anthropic-beta'];
    return {
      path: a.path(p.basePath, api, target.model, p.config),
      headers: typeof beta === 'string' ? { ...p.headers, 'anthropic-beta': beta } : p.headers,
      body: body.model === target.model ? raw : JSON.stringify({ ...body, model: target.model }),
      stream,
      translateJson: null,
      usageOf: anthropicUsageOf,
      streamTranslator: () => new AnthropicPassthrough(),
    };
  }
  if (api === 'chat' && a.wire === 'anthropic') {
    const includeUsage = asObject(body.stream_options).include_usage === true;
    return {
      path: a.path(p.basePath, 'messages', target.model, p.config),
      headers: p.headers,
      body: JSON.stringify(chatToMessagesRequest(body, target.model, defaultMaxTokens)),
      stream,
      translateJson: (m) => messageToChatCompletion(m),
      usageOf: anthropicUsageOf,
      streamTranslator: () => new AnthropicToOpenAIStream(target.model, includeUsage),
    };
  }
  if (api === 'messages' && a.wire === 'openai' && a.native.has('chat')) {
    const chat = messagesToChatRequest(body, target.model);
    if (!p.streamUsage) delete chat.stream_options;
    return {
      path: a.path(p.basePath, 'chat', target.model, p.config),
      headers: p.headers,
      body: JSON.stringify(chat),
      stream,
      translateJson: (c) => chatCompletionToMessage(c),
      usageOf: openaiUsageOf,
      streamTranslator: () => new OpenAIToAnthropicStream(target.model),
    };
  }
  return undefined;
}
