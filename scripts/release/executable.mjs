// @yao-pkg/pkg's SEA mode injects the bundle into a Node runtime from npm (run by
// executable.sh, which sets up PATH, TMPDIR and the fixed bundle path pkg needs).
// pkg's CLI asks nodejs.org for an index even with nodePath given, so its function is called
// directly; its injection failures are swallowed, so the result is checked here.
// Usage: node executable.mjs BUNDLE NODE_RUNTIME OUT_FILE ARCH CODE_CACHE(0|1)
import { createRequire } from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const [bundle, runtimeArg, out, arch, codeCache] = process.argv.slice(2);
// pkg copies the runtime after changing into its temp folder: a relative path would miss.
const runtime = runtimeArg && resolve(runtimeArg);
if (!bundle || !runtime || !out || !arch || !isAbsolute(out) || !isAbsolute(bundle)) {
  console.error('usage: node executable.mjs /ABS/BUNDLE NODE_RUNTIME /ABS/OUT_FILE ARCH CODE_CACHE');
  process.exit(2);
}
const sea = require('@yao-pkg/pkg/lib-es5/sea').default;
// sea-config.json: Node options baked in, and the lazy files bundle.mjs writes beside the main
// script (evaluated on first use, so `serve` never reads their pages of the executable).
const config = JSON.parse(readFileSync(new URL('./sea-config.json', import.meta.url), 'utf8'));
const assets = {};
for (const name of config.assets) {
  assets[name] = join(dirname(bundle), name);
  if (statSync(assets[name], { throwIfNoEntry: false }) === undefined) {
    console.error(`[release] error: ${assets[name]} is missing: bundle.mjs writes it beside the main script`);
    process.exit(1);
  }
}
await sea(bundle, {
  targets: [{ nodeRange: `node${process.versions.node.split('.')[0]}`, platform: 'linux', arch, output: out }],
  nodePath: runtime,
  // A code cache is V8 machine state of the generating Node: only valid for the same arch.
  seaConfig: {
    useCodeCache: codeCache === '1',
    useSnapshot: false,
    disableExperimentalSEAWarning: true,
    assets,
    execArgv: config.execArgv,
  },
});
const fuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1';
const size = statSync(out, { throwIfNoEntry: false })?.size ?? 0;
if (size === 0 || !readFileSync(out).includes(fuse)) {
  console.error(
    `[release] error: ${out} has no injected program (fuse ${fuse} not set): postject failed inside pkg; ` +
      'check that `npm ci` installed postject and that TMPDIR is inside the project',
  );
  process.exit(1);
}
