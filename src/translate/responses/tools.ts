// Responses tools -> the function tools both Chat Completions and Messages understand, by one
// written rule (docs/coding-agents.md):
// - `function`: kept, `strict: true` kept (both targets support it);
// - `namespace` (Codex groups sub-agent tools this way): each member becomes a function named
//   `<namespace>__<name>`; the model's calls go back as function_call items with `namespace`;
// - `custom` (free-form input, e.g. Codex's apply_patch): a function with one string parameter
//   `input`; the model's calls go back as custom_tool_call items;
// - tools the provider would have to run itself (web_search, file_search, code_interpreter,
//   image_generation, computer use, mcp, local_shell, shell, apply_patch, tool_search), and any
//   other type: dropped and named in the answer's `x-ai-proxy-dropped-tools` header (a type that
//   is not a short lowercase name as `other`, at most 16 names: the header carries nothing else
//   a client chose); a tool_choice that forces one is refused with 400.
import { TranslateError } from '../errors.ts';
import { asObject, objectsOf, str, type Json } from '../types.ts';

export interface FunctionDef {
  /** The name the target sees (flattened for namespace members). */
  name: string;
  description?: string;
  parameters: Json;
  strict: boolean;
}

/** How a function name the target answers with maps back to a Responses tool. */
export interface ToolOrigin {
  kind: 'function' | 'custom';
  name: string;
  namespace?: string;
}

export type ToolChoice = { mode: 'auto' | 'none' | 'required' } | { mode: 'function'; name: string };

export interface ToolSet {
  functions: FunctionDef[];
  /** Types of the tools left out, in request order, without repeats. */
  dropped: string[];
  origins: Map<string, ToolOrigin>;
  choice: ToolChoice | undefined;
}

export const NAMESPACE_SEPARATOR = '__';

export function flatName(name: string, namespace: string | undefined): string {
  return namespace ? `${namespace}${NAMESPACE_SEPARATOR}${name}` : name;
}

const CUSTOM_PARAMETERS = (description: string): Json => ({
  type: 'object',
  properties: { input: { type: 'string', description } },
  required: ['input'],
  additionalProperties: false,
});

function customInputDescription(format: Json): string {
  if (format.type === 'grammar')
    return `Free-form input in this ${str(format.syntax) ?? ''} grammar:\n${str(format.definition) ?? ''}`;
  return 'Free-form input text.';
}

function addFunction(set: ToolSet, tool: Json, origin: ToolOrigin, param: string): void {
  const name = flatName(origin.name, origin.namespace);
  if (!origin.name) throw new TranslateError(`${param}: a ${origin.kind} tool needs a name`, param, 'invalid_value');
  if (set.origins.has(name)) return; // the first definition of a name wins, as the model sees one tool
  const def: FunctionDef = {
    name,
    parameters:
      origin.kind === 'custom'
        ? CUSTOM_PARAMETERS(customInputDescription(asObject(tool.format)))
        : Object.keys(asObject(tool.parameters)).length > 0
          ? asObject(tool.parameters)
          : { type: 'object', properties: {} },
    strict: tool.strict === true,
  };
  const description = str(tool.description);
  if (description) def.description = description;
  set.functions.push(def);
  set.origins.set(name, origin);
}

function readChoice(body: Json, set: ToolSet): ToolChoice | undefined {
  const c = body.tool_choice;
  if (c === undefined || c === null) return undefined;
  if (c === 'auto' || c === 'none' || c === 'required') return { mode: c };
  const o = asObject(c);
  if (o.type === 'function' || o.type === 'custom') {
    const name = str(o.name) ?? '';
    return { mode: 'function', name: flatName(name, str(o.namespace)) };
  }
  if (o.type === 'allowed_tools') {
    const allowed = new Set(objectsOf(o.tools).map((t) => flatName(str(t.name) ?? '', str(t.namespace))));
    set.functions = set.functions.filter((f) => allowed.has(f.name));
    return { mode: o.mode === 'required' ? 'required' : 'auto' };
  }
  throw new TranslateError(
    `"tool_choice" forces the hosted tool "${str(o.type) ?? 'unknown'}", which this provider cannot run`,
    'tool_choice',
  );
}

/** What a dropped tool type may be named as in the header; anything else is `other`. */
const TYPE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_DROPPED_NAMES = 16;

function noteDropped(set: ToolSet, type: string): void {
  const name = TYPE_NAME.test(type) && set.dropped.length < MAX_DROPPED_NAMES ? type : 'other';
  if (!set.dropped.includes(name)) set.dropped.push(name);
}

/** Reads `tools` and `tool_choice`. Throws TranslateError for a choice it cannot honour. */
export function readTools(body: Json): ToolSet {
  const set: ToolSet = { functions: [], dropped: [], origins: new Map(), choice: undefined };
  objectsOf(body.tools).forEach((tool, i) => {
    const param = `tools[${i}]`;
    const type = str(tool.type) ?? 'function';
    if (type === 'function') addFunction(set, tool, { kind: 'function', name: str(tool.name) ?? '' }, param);
    else if (type === 'custom') addFunction(set, tool, { kind: 'custom', name: str(tool.name) ?? '' }, param);
    else if (type === 'namespace') {
      const namespace = str(tool.name) ?? '';
      objectsOf(tool.tools).forEach((member, j) => {
        const kind = member.type === 'custom' ? 'custom' : 'function';
        addFunction(set, member, { kind, name: str(member.name) ?? '', namespace }, `${param}.tools[${j}]`);
      });
    } else noteDropped(set, type);
  });
  set.choice = readChoice(body, set);
  if (set.choice && set.choice.mode !== 'auto' && set.choice.mode !== 'none' && set.functions.length === 0)
    throw new TranslateError(
      '"tool_choice" requires a tool call, but none of the tools is one this provider can offer',
      'tool_choice',
    );
  return set;
}

/** The Responses tool a function name from the target stands for (unknown names as functions). */
export function originOf(set: ToolSet | undefined, name: string): ToolOrigin {
  return set?.origins.get(name) ?? { kind: 'function', name };
}
