// For one target, decides how a client request goes upstream: as is (same format), or
// translated between the OpenAI chat and Anthropic messages formats (the Responses API:
// plan-responses.ts); and how the answer comes back.
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
import { ProxyError } from '../http/errors.ts';
import type { TranslateError } from '../translate/errors.ts';
import { ResponsesPassthrough } from '../translate/responses/passthrough.ts';
import { planResponses } from './plan-responses.ts';
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
  /** Headers for the client's answer (e.g. the tools a translation left out). */
  responseHeaders?: Record<string, string>;
  /**
   * The plan to use instead when the upstream answers that it has no such endpoint (404 or 405):
   * a Responses request to a provider whose `responses_api` is "auto". May throw TranslateError.
   */
  ifUnsupported?: () => Plan;
}

const openaiUsageOf = (j: Json) => openaiUsage(j.usage);
const anthropicUsageOf = (j: Json) => (j.usage ? anthropicUsage(j.usage) : undefined);

/** An OpenAI-format request passed through; streamed chat asks for the usage chunk to meter it. */
function openaiPassthrough(api: ClientApi, target: RuntimeTarget, body: Json, raw: Buffer): Plan {
  const p = target.provider;
  const stream = body.stream === true;
  const clientWantsUsage = asObject(body.stream_options).include_usage === true;
  const injectUsage = stream && p.streamUsage && !clientWantsUsage && (api === 'chat' || api === 'completions');
  const rewrite = body.model !== target.model || injectUsage;
  const out = rewrite
    ? JSON.stringify(
        injectUsage
          ? { ...body, model: target.model, stream_options: { ...asObject(body.stream_options), include_usage: true } }
          : { ...body, model: target.model },
      )
    : raw;
  return {
    path: p.adapter.path(p.basePath, api, target.model, p.config),
    headers: p.headers,
    body: out,
    stream,
    translateJson: null,
    usageOf: openaiUsageOf,
    streamTranslator:
      api === 'responses'
        ? () => new ResponsesPassthrough(body, target.model)
        : () => new OpenAIPassthrough(injectUsage),
  };
}

/**
 * Anthropic to Anthropic: the beta features the client opted into (the `anthropic-beta` header,
 * and the `?beta=true` the Anthropic SDK's beta calls add) reach the upstream.
 */
function anthropicPassthrough(
  api: ClientApi,
  target: RuntimeTarget,
  body: Json,
  raw: Buffer,
  clientHeaders: IncomingHttpHeaders,
  query: string,
): Plan {
  const p = target.provider;
  const beta = clientHeaders['anthropic-beta'];
  const betaQuery = new URLSearchParams(query).get('beta') === 'true' ? '?beta=true' : '';
  return {
    path: p.adapter.path(p.basePath, api, target.model, p.config) + betaQuery,
    headers: typeof beta === 'string' ? { ...p.headers, 'anthropic-beta': beta } : p.headers,
    body: body.model === target.model ? raw : JSON.stringify({ ...body, model: target.model }),
    stream: body.stream === true,
    translateJson: null,
    usageOf: anthropicUsageOf,
    streamTranslator: () => new AnthropicPassthrough(),
  };
}

/**
 * The plan, or undefined when this provider cannot serve this API even with translation.
 * Throws TranslateError for a request its translation cannot carry (a 400 for this target).
 */
export function planRequest(
  api: ClientApi,
  target: RuntimeTarget,
  body: Json,
  raw: Buffer,
  clientHeaders: IncomingHttpHeaders,
  defaultMaxTokens: number,
  query = '',
): Plan | undefined {
  const p = target.provider;
  const a = p.adapter;
  const stream = body.stream === true;
  if (a.wire === 'echo') return undefined;
  if (api === 'responses')
    return planResponses(target, body, defaultMaxTokens, () => openaiPassthrough(api, target, body, raw));
  if (a.native.has(api))
    return a.wire === 'openai'
      ? openaiPassthrough(api, target, body, raw)
      : anthropicPassthrough(api, target, body, raw, clientHeaders, query);
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

/** A request its translation cannot carry: 400, naming the field. */
export function planRefusal(error: TranslateError): ProxyError {
  return new ProxyError(400, 'invalid_request_error', error.message, error.code);
}
