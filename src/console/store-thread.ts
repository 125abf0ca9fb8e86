// The console's store: for SQLite, a Store whose calls run in a worker thread (store-worker.ts)
// with its own connection to the same file; for PostgreSQL, the ordinary store (its queries wait
// on the network, not on the event loop). Opened on first use, so a console nobody signs in to
// loads neither node:sqlite nor a worker.
import { Worker } from 'node:worker_threads';
import type { StoreTarget } from '../store/open.ts';
import { StoreError, type Store } from '../store/types.ts';
import type { WorkerReply, WorkerRequest } from './store-worker.ts';
import { storeWorkerCode } from './worker-code.ts';

/** Every Store method the worker serves (the Store interface's methods, checked by the compiler). */
const METHODS = [
  'keysVersion',
  'keysChangedSince',
  'listKeys',
  'findKey',
  'insertKey',
  'updateKey',
  'insertRows',
  'deleteRowsBefore',
  'usage',
  'requests',
  'quantiles',
  'hourlyUsage',
  'hourlyQuantiles',
  'acquireLease',
  'acquireLeases',
  'flushQuota',
  'releaseLeases',
  'counters',
  'pruneQuota',
] as const satisfies readonly Exclude<keyof Store, 'kind' | 'location' | 'close'>[];
// Every Store method must be listed: a missing one is a compile error here.
type Unlisted = Exclude<keyof Store, 'kind' | 'location' | 'close' | (typeof METHODS)[number]>;
const allListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allListed;

/** Errors cross the thread as name and message: rebuilt so callers can tell them apart. */
function rebuild(e: { name: string; message: string }): Error {
  if (e.name === 'RangeError') return new RangeError(e.message);
  if (e.name === 'StoreError') return new StoreError(e.message);
  return new Error(e.message);
}

function startWorker(path: string): Worker {
  const source = storeWorkerCode();
  const options = { workerData: { path }, stdout: false, stderr: false };
  return 'url' in source ? new Worker(source.url, options) : new Worker(source.code, { ...options, eval: true });
}

export function openThreadedSqlite(path: string): Promise<Store> {
  const worker = startWorker(path);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: Error | undefined;
  const failAll = (error: Error) => {
    dead = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const call = (method: string, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      if (dead) return reject(dead);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args } satisfies WorkerRequest);
    });
  return new Promise<Store>((resolve, reject) => {
    worker.on('error', (error) => {
      failAll(new StoreError(`the console's store thread failed: ${error.message}`));
      reject(dead);
    });
    worker.on('exit', () => failAll(new StoreError("the console's store thread has stopped")));
    worker.on('message', (reply: WorkerReply) => {
      if ('openError' in reply) {
        void worker.terminate();
        return reject(new StoreError(reply.openError));
      }
      if ('ready' in reply) {
        const methods = Object.fromEntries(METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)]));
        const store = {
          ...methods,
          kind: reply.ready.kind,
          location: reply.ready.location,
          close: async () => {
            await call('close', []).catch(() => {});
            await worker.terminate();
          },
        } as unknown as Store;
        return resolve(store);
      }
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if ('error' in reply) p.reject(rebuild(reply.error));
      else p.resolve(reply.value);
    });
  });
}

/** Opens the console's store (SQLite in its thread; the others with `openOther`); throws StoreError. */
export function openConsoleStore(
  target: Exclude<StoreTarget, { kind: 'none' }>,
  openOther: (target: Exclude<StoreTarget, { kind: 'none' | 'sqlite' }>) => Promise<Store>,
): Promise<Store> {
  return target.kind === 'sqlite' ? openThreadedSqlite(target.path) : openOther(target);
}
