// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by source file,
// so a benchmark finding can name where the time goes.
//
//   node bench/profile-summary.ts FILE.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.ts FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

// An esbuild bundle marks where each source module starts with a `// path/to/module.ts` line:
// map bundle lines back to those modules so time is reported per source file.
const moduleStarts = new Map<string, { line: number; module: string }[]>();
function bundleModules(url: string): { line: number; module: string }[] {
  let starts = moduleStarts.get(url);
  if (starts) return starts;
  starts = [];
  try {
    const lines = readFileSync(url.replace(/^file:\/\//, ''), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const match = /^\/\/ ((?:src|installer|node_modules)\/\S+)$/.exec(text);
      if (match?.[1]) starts?.push({ line: i, module: match[1] });
    });
  } catch {
    // not a readable file: keep the bundle's own name
  }
  moduleStarts.set(url, starts);
  return starts;
}

function fileOf(url: string, line: number): string {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return url;
  const starts = bundleModules(url);
  let found = '';
  for (const start of starts) {
    if (start.line > line) break;
    found = start.module;
  }
  return found || (url.split('/').pop() ?? url);
}

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${url ? `${url.split('/').pop()}:${lineNumber + 1}` : ''}`.trim();
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const source = fileOf(url, lineNumber);
  byFile.set(source, (byFile.get(source) ?? 0) + us);
}
// Inclusive time of the project's own functions (src/, installer/): what each feature costs
// with everything it calls. Each function counts once per stack, so recursion is not doubled.
const inclusive = new Map<string, number>();
const root = profile.nodes[0];
const stack: { id: number; keys: Set<string> }[] = root ? [{ id: root.id, keys: new Set() }] : [];
while (stack.length > 0) {
  const { id, keys } = stack.pop() as { id: number; keys: Set<string> };
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const source = fileOf(url, lineNumber);
  let here = keys;
  if (/^(src|installer)\//.test(source)) {
    here = new Set(keys);
    here.add(`${functionName || '(anonymous)'} (${source})`);
  }
  const self = selfUs.get(id) ?? 0;
  for (const key of here) inclusive.set(key, (inclusive.get(key) ?? 0) + self);
  for (const child of node.children ?? []) stack.push({ id: child, keys: here });
}

const top = Number(values.top);
const show = (title: string, map: Map<string, number>): void => {
  process.stdout.write(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)\n`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
  }
};
show('self time by function', byFunction);
show('self time by source file (bundles mapped back through their module markers)', byFile);
show("inclusive time of the project's own functions", inclusive);
