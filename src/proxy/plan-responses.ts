// Plans for POST /v1/responses. An OpenAI-format provider that serves the Responses API gets the
// request as it is; Anthropic gets it translated to Messages; a chat-only provider (responses_api:
// false, or found out from its 404: "auto") gets it translated to chat completions. The answer
// comes back as a Response object or its event stream either way.
import { chatCompletionToResponse, messageToResponse } from '../translate/responses/json.ts';
import { responsesToChatRequest, type TranslatedRequest } from '../translate/responses/request-to-chat.ts';
import { responsesToMessagesRequest } from '../translate/responses/request-to-messages.ts';
import { ChatToResponsesStream } from '../translate/responses/stream-from-chat.ts';
import { MessagesToResponsesStream } from '../translate/responses/stream-from-messages.ts';
import { anthropicUsage, openaiUsage } from '../translate/response-json.ts';
import type { Json } from '../translate/types.ts';
import type { Plan } from './plan.ts';
import type { RuntimeProvider, RuntimeTarget } from './runtime.ts';

export const DROPPED_TOOLS_HEADER = 'x-ai-proxy-dropped-tools';

const openaiUsageOf = (j: Json) => openaiUsage(j.usage);
const anthropicUsageOf = (j: Json) => (j.usage ? anthropicUsage(j.usage) : undefined);

/** Whether this OpenAI-format provider gets Responses requests as chat completions. */
export function responsesAsChat(p: RuntimeProvider): boolean {
  return p.responsesApi === false || (p.responsesApi === 'auto' && p.state.responsesUnsupported);
}

function droppedHeader(t: TranslatedRequest): Record<string, string> | undefined {
  return t.dropped.length > 0 ? { [DROPPED_TOOLS_HEADER]: t.dropped.join(', ') } : undefined;
}

function toMessages(target: RuntimeTarget, body: Json, defaultMaxTokens: number): Plan {
  const p = target.provider;
  const t = responsesToMessagesRequest(body, target.model, defaultMaxTokens);
  const headers = droppedHeader(t);
  return {
    path: p.adapter.path(p.basePath, 'messages', target.model, p.config),
    headers: p.headers,
    body: JSON.stringify(t.body),
    stream: body.stream === true,
    translateJson: (m) => messageToResponse(m, body, target.model, t.tools),
    usageOf: anthropicUsageOf,
    streamTranslator: () => new MessagesToResponsesStream(body, target.model, t.tools),
    ...(headers ? { responseHeaders: headers } : {}),
  };
}

function toChat(target: RuntimeTarget, body: Json): Plan {
  const p = target.provider;
  const t = responsesToChatRequest(body, target.model, p.streamUsage);
  const headers = droppedHeader(t);
  return {
    path: p.adapter.path(p.basePath, 'chat', target.model, p.config),
    headers: p.headers,
    body: JSON.stringify(t.body),
    stream: body.stream === true,
    translateJson: (c) => chatCompletionToResponse(c, body, target.model, t.tools),
    usageOf: openaiUsageOf,
    streamTranslator: () => new ChatToResponsesStream(body, target.model, t.tools),
    ...(headers ? { responseHeaders: headers } : {}),
  };
}

/** Throws TranslateError when the request cannot be translated for this target. */
export function planResponses(
  target: RuntimeTarget,
  body: Json,
  defaultMaxTokens: number,
  passthrough: () => Plan,
): Plan {
  const p = target.provider;
  if (p.adapter.wire === 'anthropic') return toMessages(target, body, defaultMaxTokens);
  if (responsesAsChat(p)) return toChat(target, body);
  const plan = passthrough();
  if (p.responsesApi === 'auto') plan.ifUnsupported = () => toChat(target, body);
  return plan;
}
