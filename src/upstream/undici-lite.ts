// undici's Pool without the rest of the package (fetch, WebSocket, EventSource, cache, mocks and
// the request/stream/pipeline APIs): the proxy only calls Pool.dispatch (exchange.ts), and
// loading nothing else keeps ~14 MB off its idle memory.
import type { Pool as UndiciPool } from 'undici';
import PoolImpl from 'undici/lib/dispatcher/pool.js';

export type Pool = UndiciPool;
export const Pool = PoolImpl as unknown as typeof UndiciPool;
