// Unknown-field check for Kubernetes objects. kubernetes-models' validate() checks types, enums
// and required fields but, like the OpenAPI schema it comes from, accepts any extra key, so a
// misspelt field (`readOnlyRootFileSystem`) would pass it and be dropped by the API server. The
// package's .d.ts files list every field of every type; this walks an object along them, which
// is what `kubectl apply --validate=strict` does against a live server.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

type FieldType =
  | { kind: 'leaf' }
  | { kind: 'object'; file: string }
  | { kind: 'array'; of: FieldType }
  | { kind: 'map'; of: FieldType };
interface Shape {
  fields: Map<string, FieldType>;
}

const shapes = new Map<string, Shape | 'leaf'>();

function resolveImport(fromFile: string, spec: string, nodeModules: string): string {
  return spec.startsWith('.') ? resolve(dirname(fromFile), `${spec}.d.ts`) : join(nodeModules, `${spec}.d.ts`);
}

function parseType(text: string, imports: Map<string, string>, file: string, nodeModules: string): FieldType {
  const t = text.trim();
  const array = /^Array<(.+)>$/.exec(t);
  if (array) return { kind: 'array', of: parseType(array[1]!, imports, file, nodeModules) };
  const map = /^\{\s*\[key: string\]: (.+?);?\s*\}$/s.exec(t);
  if (map) return { kind: 'map', of: parseType(map[1]!, imports, file, nodeModules) };
  const spec = imports.get(t);
  if (spec !== undefined) return { kind: 'object', file: resolveImport(file, spec, nodeModules) };
  return { kind: 'leaf' }; // string, number, boolean, literal unions, the object's own apiVersion/kind
}

/** The fields of the one interface a kubernetes-models .d.ts file exports ('leaf' for type aliases). */
function shapeOf(file: string, nodeModules: string): Shape | 'leaf' {
  const cached = shapes.get(file);
  if (cached) return cached;
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*\*[\s\S]*?\*\//g, '')
    .replace(/^[ \t]*\n/gm, '');
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) imports.set(m[1]!, m[2]!);
  const body = /^export interface \w+(?: extends TypeMeta)? \{\n([\s\S]*?)^\}/m.exec(text);
  if (!body) {
    shapes.set(file, 'leaf'); // `export declare type IQuantity = number | string;` and the like
    return 'leaf';
  }
  const fields = new Map<string, FieldType>();
  for (const m of body[1]!.matchAll(/^ {4}"([^"]+)"\??: ([\s\S]*?);\n(?= {4}"|$)/gm)) {
    fields.set(m[1]!, parseType(m[2]!, imports, file, nodeModules));
  }
  const shape = { fields };
  shapes.set(file, shape);
  return shape;
}

/** Paths (like `spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem`) of fields the type does not have. */
export function unknownFields(value: unknown, dtsFile: string, nodeModules: string): string[] {
  const found: string[] = [];
  const walk = (v: unknown, type: FieldType, path: string): void => {
    if (v === null || v === undefined) return;
    if (type.kind === 'leaf') return;
    if (type.kind === 'array') {
      if (Array.isArray(v)) v.forEach((item, i) => walk(item, type.of, `${path}[${i}]`));
      return;
    }
    if (type.kind === 'map') {
      if (typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, type.of, `${path}.${k}`);
      return;
    }
    const shape = shapeOf(type.file, nodeModules);
    if (shape === 'leaf' || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [k, item] of Object.entries(v)) {
      const fieldType = shape.fields.get(k);
      const at = path === '' ? k : `${path}.${k}`;
      if (fieldType === undefined) found.push(at);
      else walk(item, fieldType, at);
    }
  };
  walk(value, { kind: 'object', file: dtsFile }, '');
  return found;
}
