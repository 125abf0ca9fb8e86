// Non-streaming answers -> a Response object, built with the same writer as the streams so
// both hold the same items.
import { anthropicUsage, openaiUsage } from '../response-json.ts';
import { asObject, objectsOf, str, type Json } from '../types.ts';
import { carryThinking } from './carrier.ts';
import { incompleteFromFinish, reasoningText } from './stream-from-chat.ts';
import { incompleteFromStop } from './stream-from-messages.ts';
import type { ToolSet } from './tools.ts';
import { ResponsesWriter } from './writer.ts';

/** Anthropic Message -> Response. */
export function messageToResponse(msg: Json, request: Json, model: string, tools: ToolSet | undefined): Json {
  const w = new ResponsesWriter(request, model, tools);
  w.start(str(msg.id) ?? 'proxy', str(msg.model));
  for (const block of objectsOf(msg.content)) {
    if (block.type === 'text') w.text(str(block.text) ?? '');
    else if (block.type === 'tool_use') {
      w.openCall(str(block.id) ?? '', str(block.name) ?? '');
      w.args(JSON.stringify(block.input ?? {}));
    } else if (block.type === 'thinking') {
      w.openReasoning();
      w.reasoning(str(block.thinking) ?? '');
      w.close(
        carryThinking({ kind: 'thinking', thinking: str(block.thinking) ?? '', signature: str(block.signature) ?? '' }),
      );
    } else if (block.type === 'redacted_thinking') {
      w.openReasoning();
      w.close(carryThinking({ kind: 'redacted', data: str(block.data) ?? '' }));
    }
    w.close();
  }
  return w.response(anthropicUsage(msg.usage), incompleteFromStop(msg.stop_reason));
}

/** Chat completion -> Response. */
export function chatCompletionToResponse(
  completion: Json,
  request: Json,
  model: string,
  tools: ToolSet | undefined,
): Json {
  const w = new ResponsesWriter(request, model, tools);
  w.start(str(completion.id) ?? 'proxy', str(completion.model));
  const choice = asObject(objectsOf(completion.choices)[0]);
  const message = asObject(choice.message);
  w.reasoning(reasoningText(message));
  w.close();
  if (typeof message.content === 'string') w.text(message.content);
  w.close();
  for (const call of objectsOf(message.tool_calls)) {
    const fn = asObject(call.function);
    w.openCall(str(call.id) ?? '', str(fn.name) ?? '');
    w.args(str(fn.arguments) ?? '');
    w.close();
  }
  return w.response(openaiUsage(completion.usage), incompleteFromFinish(choice.finish_reason));
}
