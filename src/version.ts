// Build facts. The release bundle replaces AI_PROXY_BUILD through esbuild's `define`;
// from source (npm start, tests) they fall back to package.json and "dev".
declare const AI_PROXY_BUILD: { version: string; commit: string; node: string } | undefined;

function fromSource(): { version: string; commit: string; node: string } {
  return { version: process.env.npm_package_version ?? '0.0.0-dev', commit: 'dev', node: process.version };
}

export const build = typeof AI_PROXY_BUILD === 'undefined' ? fromSource() : AI_PROXY_BUILD;
export const version = build.version;
