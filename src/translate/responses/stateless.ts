// ai-proxy keeps no conversation state: a translated Responses request must carry its whole
// history (Codex does: store: false, the full input each turn). Requests that ask the server to
// remember or look something up get a clear 400 rather than an answer built on missing context.
import { TranslateError } from '../errors.ts';
import type { Json } from '../types.ts';

const HINT = 'send the whole conversation in "input" with "store": false';

/** Throws TranslateError when the request needs state this target cannot hold. */
export function assertStateless(body: Json, target: string): void {
  const refuse = (param: string, what: string) => {
    throw new TranslateError(`${what} needs stored responses, which ${target} cannot keep: ${HINT}`, param);
  };
  if (body.previous_response_id !== undefined && body.previous_response_id !== null)
    refuse('previous_response_id', '"previous_response_id"');
  if (body.conversation !== undefined && body.conversation !== null) refuse('conversation', '"conversation"');
  if (body.store === true) refuse('store', '"store": true');
  if (body.background === true) refuse('background', '"background": true');
  if (body.prompt !== undefined && body.prompt !== null) refuse('prompt', 'a stored prompt template ("prompt")');
}
