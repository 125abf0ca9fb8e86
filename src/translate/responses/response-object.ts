// The Response object a translated answer is wrapped in, JSON and streamed (response.created,
// response.completed ...). Fields that echo the request (tools, instructions, text, ...) are
// serialised once per request, not once per event.
import { asObject, type Json, type Usage } from '../types.ts';

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** Usage in the Responses shape; the details are always present, as the SDK's type requires. */
export function responsesUsage(u: Usage | undefined): Json {
  const usage = u ?? { prompt: 0, completion: 0 };
  return {
    input_tokens: usage.prompt,
    input_tokens_details: { cached_tokens: usage.cached ?? 0 },
    output_tokens: usage.completion,
    output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
    total_tokens: usage.prompt + usage.completion,
  };
}

export interface ResponseState {
  status: ResponseStatus;
  output: Json[];
  usage: Usage | undefined;
  error?: { code: string; message: string };
  incompleteReason?: string;
}

export class ResponseShell {
  readonly createdAt = Math.floor(Date.now() / 1000);
  /** `"key":value,...` of the request-echo fields, without braces. */
  private readonly echo: string;

  constructor(
    public id: string,
    public model: string,
    request: Json,
  ) {
    const reasoning = asObject(request.reasoning);
    this.echo = JSON.stringify({
      instructions: request.instructions ?? null,
      max_output_tokens: request.max_output_tokens ?? null,
      metadata: request.metadata ?? {},
      parallel_tool_calls: request.parallel_tool_calls ?? true,
      previous_response_id: null,
      reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
      store: false,
      temperature: request.temperature ?? 1,
      text: request.text ?? { format: { type: 'text' } },
      tool_choice: request.tool_choice ?? 'auto',
      tools: request.tools ?? [],
      top_p: request.top_p ?? 1,
      truncation: request.truncation ?? 'disabled',
      ...(typeof request.user === 'string' ? { user: request.user } : {}),
    }).slice(1, -1);
  }

  /** The Response object's JSON text for this state. */
  json(s: ResponseState): string {
    const head = JSON.stringify({
      id: this.id,
      object: 'response',
      created_at: this.createdAt,
      status: s.status,
      background: false,
      error: s.error ?? null,
      incomplete_details: s.incompleteReason ? { reason: s.incompleteReason } : null,
      model: this.model,
      output: s.output,
      usage: s.status === 'in_progress' ? null : responsesUsage(s.usage),
    });
    return `${head.slice(0, -1)},${this.echo}}`;
  }
}
