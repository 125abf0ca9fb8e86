// The translation layer's one error: a request that cannot be translated for its target without
// losing meaning. The HTTP layer turns it into a 400 invalid_request_error naming the parameter.
export class TranslateError extends Error {
  override name = 'TranslateError';
  constructor(
    message: string,
    /** The request field at fault, as OpenAI's error.param names it (e.g. "tools[3]"). */
    readonly param: string | null,
    readonly code = 'unsupported_parameter',
  ) {
    super(message);
  }
}
