// Step "bundle": esbuild turns src/main.ts and everything it imports into CommonJS, because a
// Node single executable runs one script and can only require built-in modules.
// Six files: OUT_FILE (serve, healthcheck, config, keys, usage) and, beside it, code that `serve`
// never runs in most deployments: installer.cjs (`ai-proxy install`: dockerode, ssh2, grpc, tar;
// 3/4 of all code), acme.cjs (ACME certificate orders: acme-client, axios, x509; half of what is
// left), pg.cjs (the PostgreSQL store and the `pg` client, only with DATABASE_URL), console.cjs
// (the web console with its pages, scripts and uPlot as strings, only with CONSOLE_*) and
// console-worker.cjs (the console's SQLite thread, whose text console.cjs hands to a Worker).
// In the main script their source alone would sit in the proxy's memory for nothing.
// executable.mjs stores them as SEA assets (sea-config.json lists them); each import of them
// becomes a loader that evaluates the asset (or the file beside the bundle) on first use.
// Usage: node bundle.mjs OUT_FILE VERSION COMMIT NODE_VERSION
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { constants as http2Constants } from 'node:http2';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [outfile, version, commit, node] = process.argv.slice(2);
if (!outfile || !version || !commit || !node) {
  console.error('usage: node bundle.mjs OUT_FILE VERSION COMMIT NODE_VERSION');
  process.exit(2);
}
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// asset -> [entry module, the one module that imports it (dynamically)]
const LAZY = {
  'installer.cjs': ['installer/cli.ts', 'src/main.ts'],
  'acme.cjs': ['src/tls/acme/order.ts', 'src/tls/acme/manager.ts'],
  'pg.cjs': ['src/store/postgres.ts', 'src/store/open.ts'],
  'console.cjs': ['src/console/start.ts', 'src/cli/serve.ts'],
};
// asset -> [entry module, the module that hands its text to a Worker (replaced, see embedded)]
const WORKERS = { 'console-worker.cjs': ['src/console/store-worker.ts', 'src/console/worker-code.ts'] };
const listed = JSON.parse(readFileSync(new URL('./sea-config.json', import.meta.url), 'utf8')).assets;
if (JSON.stringify(listed) !== JSON.stringify([...Object.keys(LAZY), ...Object.keys(WORKERS)]))
  throw new Error('scripts/release/sea-config.json "assets" must list exactly the lazy files bundle.mjs writes');
// The one module the files share by identity: main.ts tests `instanceof ExitError` on what the
// installer throws, so a lazy file takes the main script's class instead of its own copy.
const SHARED_EXIT_ERROR = 'ai-proxy:exit-error';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  define: { AI_PROXY_BUILD: JSON.stringify({ version, commit, node }) },
  // dockerode's ssh2 tries native helpers first and falls back to pure JS without them; pg loads
  // pg-native (libpq bindings) and pg-cloudflare (Workers sockets) only when asked for them.
  external: ['cpu-features', '*.node', 'pg-native', 'cloudflare:sockets'],
  // Module keys in the bundle are paths relative to the checkout; resolving through a symlinked
  // node_modules (a shared cache, a test clone) would otherwise change them and the sha256.
  preserveSymlinks: true,
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
};

const loader = (asset) => `
const { isSea, getAsset } = require('node:sea');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { compileFunction } = require('node:vm');
const exitError = require('./src/exit-error.ts');
const code = isSea() ? getAsset(${JSON.stringify(asset)}, 'utf8') : readFileSync(join(__dirname, ${JSON.stringify(asset)}), 'utf8');
const mod = { exports: {} };
const load = (id) => (id === ${JSON.stringify(SHARED_EXIT_ERROR)} ? exitError : require(id));
compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: ${JSON.stringify(asset)} })(mod.exports, load, mod, ${JSON.stringify(asset)}, __dirname);
module.exports = mod.exports;
`;

/** In the main script, each lazy module's import is replaced by its loader. */
const lazyOut = {
  name: 'lazy-out',
  setup(b) {
    for (const [asset, [entry, importer]] of Object.entries(LAZY)) {
      const file = entry.split('/').pop().replace(/\./g, '\\.');
      b.onResolve({ filter: new RegExp(`/${file}$`) }, (args) =>
        args.importer === join(ROOT, importer) && join(args.resolveDir, args.path) === join(ROOT, entry)
          ? { path: asset, namespace: 'ai-proxy-lazy' }
          : undefined,
      );
    }
    b.onLoad({ filter: /.*/, namespace: 'ai-proxy-lazy' }, (args) => ({
      contents: loader(args.path),
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
};

/**
 * undici's HTTP/2 client requires node:http2 when it loads, and node:http2 loads node:tls
 * (~3 MB resident) into every proxy; HTTP/2 upstreams (allowH2) are never used. Its constants
 * are inlined and node:http2 is required on the first HTTP/2 connect instead.
 */
const H2_REQUIRE = "  http2 = require('node:http2')\n";
const H2_NAMES = [
  'HTTP2_HEADER_AUTHORITY',
  'HTTP2_HEADER_METHOD',
  'HTTP2_HEADER_PATH',
  'HTTP2_HEADER_SCHEME',
  'HTTP2_HEADER_CONTENT_LENGTH',
  'HTTP2_HEADER_EXPECT',
  'HTTP2_HEADER_STATUS',
  'HTTP2_HEADER_PROTOCOL',
  'NGHTTP2_REFUSED_STREAM',
  'NGHTTP2_CANCEL',
];
const lazyHttp2 = {
  name: 'lazy-http2',
  setup(b) {
    b.onLoad({ filter: /undici\/lib\/dispatcher\/client-h2\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (
        !source.includes(H2_REQUIRE) ||
        !H2_NAMES.every((n) => source.includes(n) && http2Constants[n] !== undefined)
      ) {
        throw new Error(
          `${args.path} changed (undici update?): review the lazy-http2 plugin in scripts/release/bundle.mjs`,
        );
      }
      const constants = JSON.stringify(Object.fromEntries(H2_NAMES.map((n) => [n, http2Constants[n]])));
      return {
        contents: source.replace(
          H2_REQUIRE,
          `  http2 = { constants: ${constants}, connect: (...args) => require('node:http2').connect(...args) }\n`,
        ),
        loader: 'js',
      };
    });
  },
};

/** The console's files (src/console/ui/, and uPlot's that ui/vendor.json names) as one object. */
function consoleFiles() {
  const dir = join(ROOT, 'src/console/ui');
  const files = {};
  for (const name of readdirSync(dir).sort())
    if (name !== 'vendor.json') files[name] = readFileSync(join(dir, name), 'utf8');
  const vendor = JSON.parse(readFileSync(join(dir, 'vendor.json'), 'utf8'));
  for (const [name, path] of Object.entries(vendor)) files[name] = readFileSync(join(ROOT, path), 'utf8');
  return files;
}

/**
 * Modules that read files beside themselves in development: in the bundle, the console's static
 * files become strings in console.cjs, and a worker's code is read from its SEA asset (or the file
 * beside the bundle) when the Worker starts.
 */
const embedded = {
  name: 'embedded',
  setup(b) {
    b.onLoad({ filter: /src\/console\/ui-files\.ts$/ }, () => ({
      contents: `export const readUiFiles = () => (${JSON.stringify(consoleFiles())});`,
      loader: 'js',
    }));
    for (const [asset, [, reader]] of Object.entries(WORKERS)) {
      b.onLoad({ filter: new RegExp(`${reader.replace(/\./g, '\\.')}$`) }, () => ({
        contents: `
import { isSea, getAsset } from 'node:sea';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
export const storeWorkerCode = () => ({ code: isSea() ? getAsset(${JSON.stringify(asset)}, 'utf8') : readFileSync(join(__dirname, ${JSON.stringify(asset)}), 'utf8') });
`,
        loader: 'js',
      }));
    }
  },
};

/** In installer.cjs, src/exit-error.ts is the main script's module. */
const sharedExitError = {
  name: 'shared-exit-error',
  setup(b) {
    b.onResolve({ filter: /\/exit-error\.ts$/ }, () => ({ path: SHARED_EXIT_ERROR, external: true }));
  },
};

const results = await Promise.all([
  build({ ...common, entryPoints: ['src/main.ts'], outfile, plugins: [lazyOut, lazyHttp2] }),
  ...Object.entries(LAZY).map(([asset, [entry]]) =>
    build({
      ...common,
      entryPoints: [entry],
      outfile: join(dirname(outfile), asset),
      // lazyOut: the console's store code loads pg.cjs like the main script does, not a copy of pg.
      plugins: [sharedExitError, embedded, lazyOut],
    }),
  ),
  ...Object.entries(WORKERS).map(([asset, [entry]]) =>
    build({ ...common, entryPoints: [entry], outfile: join(dirname(outfile), asset), plugins: [sharedExitError] }),
  ),
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
const names = ['main script', ...Object.keys(LAZY), ...Object.keys(WORKERS)];
console.log(`[release]    ${results.map((r, i) => `${names[i]} ${label(r)}`).join('; ')}`);
