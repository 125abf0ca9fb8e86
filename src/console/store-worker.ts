// The console's SQLite connection, in a worker thread: node:sqlite is synchronous, so a query
// over a month of ledger rows would otherwise stop the proxy's event loop for its whole length.
// Here it only keeps this thread busy. Calls come from store-thread.ts as { id, method, args }.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/types.ts';

export interface WorkerRequest {
  id: number;
  method: string;
  args: unknown[];
}

export type WorkerReply =
  | { id: number; value: unknown }
  | { id: number; error: { name: string; message: string } }
  | { ready: { kind: string; location: string } }
  | { openError: string };

const port = parentPort!;
const post = (reply: WorkerReply) => port.postMessage(reply);
let store: Store | undefined;
try {
  // Off the proxy's thread, waiting for a busy file costs nothing: wait as long as the CLI does.
  store = SqliteStore.open((workerData as { path: string }).path, { busyTimeoutMs: 5000 });
  post({ ready: { kind: store.kind, location: store.location } });
} catch (error) {
  post({ openError: (error as Error).message });
}

port.on('message', async ({ id, method, args }: WorkerRequest) => {
  try {
    const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
    if (typeof fn !== 'function') throw new Error(`no store method ${method}`);
    post({ id, value: await fn.apply(store, args) });
  } catch (error) {
    const e = error as Error;
    post({ id, error: { name: e.name, message: e.message } });
  }
});
