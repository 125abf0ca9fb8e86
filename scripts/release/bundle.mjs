// Step "bundle": esbuild turns src/main.ts and everything it imports into CommonJS, because a
// Node single executable runs one script and can only require built-in modules.
// Two files: OUT_FILE (serve, healthcheck, config) and installer.cjs beside it (`ai-proxy
// install`: dockerode, ssh2, grpc, tar...). The installer is ~3/4 of the code; in the main script
// its source alone would sit in the proxy's memory for nothing. executable.mjs stores
// installer.cjs as a SEA asset; src/main.ts's import of installer/cli.ts becomes a loader that
// evaluates that asset (or the file beside the bundle) only when `install` runs.
// Usage: node bundle.mjs OUT_FILE VERSION COMMIT NODE_VERSION
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [outfile, version, commit, node] = process.argv.slice(2);
if (!outfile || !version || !commit || !node) {
  console.error('usage: node bundle.mjs OUT_FILE VERSION COMMIT NODE_VERSION');
  process.exit(2);
}
const INSTALLER_ASSET = 'installer.cjs';
// The one module both files share by identity: main.ts tests `instanceof ExitError` on what the
// installer throws, so the installer takes the main script's class instead of its own copy.
const SHARED_EXIT_ERROR = 'ai-proxy:exit-error';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const common = {
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
};

const LOADER = `
const { isSea, getAsset } = require('node:sea');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { compileFunction } = require('node:vm');
const exitError = require('./src/exit-error.ts');
const code = isSea() ? getAsset(${JSON.stringify(INSTALLER_ASSET)}, 'utf8') : readFileSync(join(__dirname, ${JSON.stringify(INSTALLER_ASSET)}), 'utf8');
const mod = { exports: {} };
const load = (id) => (id === ${JSON.stringify(SHARED_EXIT_ERROR)} ? exitError : require(id));
compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: ${JSON.stringify(INSTALLER_ASSET)} })(mod.exports, load, mod, ${JSON.stringify(INSTALLER_ASSET)}, __dirname);
module.exports = mod.exports;
`;

/** In the main script, installer/cli.ts is replaced by LOADER. */
const installerOut = {
  name: 'installer-out',
  setup(b) {
    b.onResolve({ filter: /\/installer\/cli\.ts$/ }, (args) => (args.importer.endsWith('src/main.ts') ? { path: 'installer-loader', namespace: 'ai-proxy' } : undefined));
    b.onLoad({ filter: /^installer-loader$/, namespace: 'ai-proxy' }, () => ({ contents: LOADER, loader: 'js', resolveDir: ROOT }));
  },
};

/** In installer.cjs, src/exit-error.ts is the main script's module. */
const sharedExitError = {
  name: 'shared-exit-error',
  setup(b) {
    b.onResolve({ filter: /\/exit-error\.ts$/ }, () => ({ path: SHARED_EXIT_ERROR, external: true }));
  },
};

const installerFile = join(dirname(outfile), INSTALLER_ASSET);
const results = await Promise.all([
  build({ ...common, entryPoints: ['src/main.ts'], outfile, plugins: [installerOut] }),
  build({ ...common, entryPoints: ['installer/cli.ts'], outfile: installerFile, plugins: [sharedExitError] }),
]);
const label = (result) => {
  const inputs = Object.values(result.metafile.outputs).flatMap((output) => Object.entries(output.inputs));
  const byPackage = new Map();
  for (const [path, { bytesInOutput }] of inputs) {
    const name = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? 'ai-proxy';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const total = [...byPackage.values()].reduce((a, b) => a + b, 0);
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 5);
  return `${(total / 1024).toFixed(0)} KB (${top.map(([n, b]) => `${n} ${(b / 1024).toFixed(0)} KB`).join(', ')})`;
};
console.log(`[release]    main script ${label(results[0])}; ${INSTALLER_ASSET} ${label(results[1])}`);
