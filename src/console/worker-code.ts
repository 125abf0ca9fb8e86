// Where the store worker's code comes from. In development (tsx) it is the module beside this
// one; the release bundle (scripts/release/bundle.mjs) replaces this module with one that returns
// the text of the embedded console-worker.cjs, evaluated by the worker as a CommonJS script.
export function storeWorkerCode(): { url: URL } | { code: string } {
  return { url: new URL('./store-worker.ts', import.meta.url) };
}
