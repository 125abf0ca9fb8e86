// /v1/responses as OpenAI serves it, for the passthrough row: JSON, and the full SSE sequence
// (response.created, response.in_progress, a reasoning item when reasoning.effort is set, a
// message item with content_part and output_text events, function_call items with
// function_call_arguments events, response.completed with usage), every event with its
// sequence_number; shapes from the openai package's resources/responses type files. With `agent`
// set it plays the scripted tool loop (agent.ts) when the request declares the shell tool.
import { agentAnswer, findShellTool, toolOutputText, type AgentScript } from './agent.ts';
import type { RecordedRequest, Reply } from './server.ts';
import { words } from './openai-chat.ts';

type J = Record<string, unknown>;
const created = 1_700_000_000;
const ENCRYPTED = 'mockenc.reasoning-state';

function items(body: J): J[] {
  return typeof body.input === 'string'
    ? [{ type: 'message', role: 'user', content: body.input }]
    : Array.isArray(body.input)
      ? (body.input as J[])
      : [];
}

function userText(body: J): string {
  const last = items(body)
    .filter((i) => i.role === 'user')
    .at(-1);
  if (!last) return '';
  return typeof last.content === 'string' ? last.content : toolOutputText(last.content);
}

/** Tool outputs after the last user message: the agent answered the model's call. */
function toolOutputs(body: J): J[] {
  const all = items(body);
  const lastUser = all.map((i) => i.role).lastIndexOf('user');
  return all.slice(lastUser + 1).filter((i) => i.type === 'function_call_output');
}

function reject(body: J): string | undefined {
  const all = items(body);
  const calls = new Set(all.filter((i) => i.type === 'function_call').map((i) => i.call_id));
  for (const o of all.filter((i) => i.type === 'function_call_output'))
    if (!calls.has(o.call_id)) return `No tool call found for function call output with call_id ${String(o.call_id)}.`;
  for (const r of all.filter((i) => i.type === 'reasoning'))
    if (r.encrypted_content !== undefined && r.encrypted_content !== null && r.encrypted_content !== ENCRYPTED)
      return 'The encrypted content for item could not be verified.';
  return undefined;
}

interface Answer {
  text: string;
  call?: { name: string; args: string };
  reasoning: boolean;
}

function answer(body: J, agent: AgentScript | undefined): Answer {
  const reasoning = typeof (body.reasoning as J | undefined)?.effort === 'string';
  const names = (Array.isArray(body.tools) ? (body.tools as J[]) : []).map((t) => String(t.name));
  const shell = agent ? findShellTool(names) : undefined;
  if (shell && agent) {
    const outputs = toolOutputs(body);
    if (outputs.length > 0) return { text: agentAnswer(toolOutputText(outputs[0]!.output)), reasoning };
    return { text: '', call: { name: shell.name, args: JSON.stringify(shell.input(agent.command)) }, reasoning };
  }
  return { text: `mock-openai: ${userText(body)}`, reasoning };
}

function outputItems(a: Answer): J[] {
  const out: J[] = [];
  if (a.reasoning)
    out.push({
      id: 'rs_mock1',
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: 'Planning.' }],
      encrypted_content: ENCRYPTED,
    });
  if (a.text)
    out.push({
      id: 'msg_mock1',
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: a.text, annotations: [], logprobs: [] }],
    });
  if (a.call)
    out.push({
      id: 'fc_mock1',
      type: 'function_call',
      status: 'completed',
      call_id: 'call_mock1',
      name: a.call.name,
      arguments: a.call.args,
    });
  return out;
}

function response(body: J, status: string, output: J[], a: Answer | undefined): J {
  return {
    id: 'resp_mock1',
    object: 'response',
    created_at: created,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: body.reasoning ?? { effort: null, summary: null },
    store: body.store ?? true,
    temperature: 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: a
      ? {
          input_tokens: JSON.stringify(body.input ?? '').length,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 9,
          output_tokens_details: { reasoning_tokens: a.reasoning ? 4 : 0 },
          total_tokens: JSON.stringify(body.input ?? '').length + 9,
        }
      : null,
    metadata: {},
  };
}

export function responsesReply(agent: AgentScript | undefined): Reply {
  return {
    reject(req: RecordedRequest) {
      const message = reject(req.body);
      return message
        ? { status: 400, body: { error: { message, type: 'invalid_request_error', param: 'input', code: null } } }
        : undefined;
    },
    json(req: RecordedRequest) {
      const a = answer(req.body, agent);
      return response(req.body, 'completed', outputItems(a), a);
    },
    events(req: RecordedRequest) {
      const b = req.body;
      const a = answer(b, agent);
      let seq = 0;
      const out: string[] = [];
      const ev = (type: string, fields: J) =>
        out.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: seq++ })}\n\n`);
      ev('response.created', { response: response(b, 'in_progress', [], undefined) });
      ev('response.in_progress', { response: response(b, 'in_progress', [], undefined) });
      const done = outputItems(a);
      done.forEach((item, output_index) => {
        const id = item.id as string;
        if (item.type === 'reasoning') {
          ev('response.output_item.added', { output_index, item: { id, type: 'reasoning', summary: [] } });
          const part = { type: 'summary_text', text: 'Planning.' };
          const at = { item_id: id, output_index, summary_index: 0 };
          ev('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } });
          ev('response.reasoning_summary_text.delta', { ...at, delta: part.text });
          ev('response.reasoning_summary_text.done', { ...at, text: part.text });
          ev('response.reasoning_summary_part.done', { ...at, part });
        } else if (item.type === 'message') {
          ev('response.output_item.added', {
            output_index,
            item: { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
          });
          const at = { item_id: id, output_index, content_index: 0 };
          ev('response.content_part.added', {
            ...at,
            part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
          });
          for (const w of words(a.text)) ev('response.output_text.delta', { ...at, delta: w, logprobs: [] });
          ev('response.output_text.done', { ...at, text: a.text, logprobs: [] });
          ev('response.content_part.done', { ...at, part: (item.content as J[])[0] });
        } else {
          ev('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } });
          const args = String(item.arguments);
          for (const piece of [args.slice(0, 6), args.slice(6)])
            ev('response.function_call_arguments.delta', { item_id: id, output_index, delta: piece });
          ev('response.function_call_arguments.done', { item_id: id, output_index, name: item.name, arguments: args });
        }
        ev('response.output_item.done', { output_index, item });
      });
      ev('response.completed', { response: response(b, 'completed', done, a) });
      return out;
    },
  };
}
