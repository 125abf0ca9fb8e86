// One keep-alive undici Pool per upstream origin, shared by providers on the same origin and
// kept across config reloads so a SIGHUP does not drop warm connections.
import { Pool } from './undici-lite.ts';

const POOL_OPTIONS = {
  // Unlimited: streams hold a connection for minutes, and a cap would queue new requests
  // behind them (5,000 open streams need 5,000 upstream connections).
  connections: null,
  pipelining: 1,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  connect: { timeout: 10_000 },
} as const;

export class PoolSet {
  private pools = new Map<string, Pool>();

  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, POOL_OPTIONS);
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes pools of origins no longer configured; their in-flight requests finish first. */
  retain(origins: Set<string>): void {
    for (const [origin, pool] of this.pools) {
      if (!origins.has(origin)) {
        this.pools.delete(origin);
        pool.close().catch(() => {});
      }
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => {})));
  }
}
