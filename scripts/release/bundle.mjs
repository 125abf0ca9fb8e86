// Step "bundle": esbuild turns src/main.ts and everything it imports into one CommonJS file,
// because a Node single executable runs one script and can only require built-in modules.
// Usage: node bundle.mjs OUT_FILE VERSION COMMIT NODE_VERSION
import { build } from 'esbuild';

const [outfile, version, commit, node] = process.argv.slice(2);
if (!outfile || !version || !commit || !node) {
  console.error('usage: node bundle.mjs OUT_FILE VERSION COMMIT NODE_VERSION');
  process.exit(2);
}
const result = await build({
  entryPoints: ['src/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  define: { AI_PROXY_BUILD: JSON.stringify({ version, commit, node }) },
  // dockerode's ssh2 tries native helpers first and falls back to pure JS without them.
  external: ['cpu-features', '*.node'],
  // Module keys in the bundle are paths relative to the checkout; resolving through a symlinked
  // node_modules (a shared cache, a test clone) would otherwise change them and the sha256.
  preserveSymlinks: true,
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
});
const inputs = Object.values(result.metafile.outputs).flatMap((output) => Object.entries(output.inputs));
const byPackage = new Map();
for (const [path, { bytesInOutput }] of inputs) {
  const name = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? 'ai-proxy';
  byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
}
const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6);
console.log(`[release]    largest parts: ${top.map(([n, b]) => `${n} ${(b / 1024).toFixed(0)} KB`).join(', ')}`);
