// undici's Pool and its request() API without the rest of the package (fetch, WebSocket,
// EventSource, cache, mocks, and the stream/pipeline/upgrade/connect APIs): loading only these
// keeps ~14 MB off the proxy's idle memory. The wiring mirrors undici's own index.js, which adds
// the API methods to Dispatcher; request() is the only one the proxy calls.
import type { Pool as UndiciPool } from 'undici';
import DispatcherImpl from 'undici/lib/dispatcher/dispatcher.js';
import PoolImpl from 'undici/lib/dispatcher/pool.js';
import request from 'undici/lib/api/api-request.js';

Object.assign((DispatcherImpl as { prototype: object }).prototype, { request });

export type Pool = UndiciPool;
export const Pool = PoolImpl as unknown as typeof UndiciPool;
