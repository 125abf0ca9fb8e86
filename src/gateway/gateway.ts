// What the request path asks about client keys, in one place: who is calling (AUTH_TOKEN or a
// key), may it use this model, may it send one more request now, and what the finished request
// cost (ledger row, limit counters, per-key metrics). Nothing here waits for the database on an
// ordinary request: keys are a Map refreshed by polling, limits are leases held in memory, and
// ledger rows go to a bounded queue written in the background.
import { hostname } from 'node:os';
import type { LedgerSettings, PriceEntry, RouteTarget } from '../config/schema.ts';
import { KeyRegistry, type ActiveKey, type RegistryHealth } from '../keys/registry.ts';
import type { LedgerHealth } from '../ledger/writer.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { RetentionJob } from '../ledger/retention.ts';
import { costOf, PriceTable } from '../pricing/prices.ts';
import { statusLabel } from '../observability/labels.ts';
import { labelKey } from '../observability/metrics-registry.ts';
import { QuotaLimiter } from '../quota/limiter.ts';
import { randomId } from '../random-id.ts';
import type { StoreTarget } from '../store/open.ts';
import { KeyMetrics, type MetricSink } from './key-metrics.ts';
import type { FinishedRequest } from './ledger-row.ts';
import { filterModels } from './models.ts';
import { ledgerRow } from './ledger-row.ts';
import { refusals, type GateRefusal } from './refusals.ts';
import { StoreHandle } from './store-handle.ts';

const TOKEN_KINDS = {
  input: labelKey({ kind: 'input' }),
  output: labelKey({ kind: 'output' }),
  cached: labelKey({ kind: 'cached' }),
};
const LEDGER_RESULTS = { queued: labelKey({ result: 'queued' }), dropped: labelKey({ result: 'dropped' }) };

export type { FinishedRequest } from './ledger-row.ts';

export type Principal = { kind: 'admin'; name: 'admin' } | { kind: 'key'; name: string; key: ActiveKey };
export const ADMIN: Principal = { kind: 'admin', name: 'admin' };

export interface GatewayLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface GatewayOptions {
  target: Exclude<StoreTarget, { kind: 'none' }>;
  ledger: LedgerSettings;
  prices: Record<string, PriceEntry>;
  log: GatewayLog;
  metrics: MetricSink;
  /** How often the key version is polled (ms). */
  keysPollMs?: number;
  /** ms since the epoch: budget periods, key expiry (tests move it to the next period). */
  clock?: () => number;
}

export interface GatewayHealth {
  status: 'ok' | 'degraded';
  store: { kind: string; status: 'ok' | 'not opened' | 'error'; last_error?: string };
  keys: RegistryHealth;
  ledger: LedgerHealth | { status: 'off' };
  limits: { status: 'ok' | 'degraded'; last_error?: string };
}

export class Gateway {
  private readonly handle: StoreHandle;
  private readonly registry: KeyRegistry;
  private readonly limiter: QuotaLimiter;
  private writer: LedgerWriter | undefined;
  private readonly retention: RetentionJob;
  private prices: PriceTable;
  private readonly metrics: KeyMetrics;
  private readonly modelsCache = new Map<string, string>();

  private constructor(private readonly options: GatewayOptions) {
    const log = options.log;
    this.handle = new StoreHandle(options.target, (error) =>
      log.warn('key store: a database connection failed; it is reopened on next use', { error: error.message }),
    );
    const handle = this.handle;
    this.registry = new KeyRegistry(
      {
        // No SQLite file yet: no keys, and no reason to load node:sqlite to find that out.
        keysVersion: async () => (handle.mayHoldKeys() ? (await handle.get()).keysVersion() : 0),
        keysChangedSince: async (v) =>
          handle.mayHoldKeys() ? (await handle.get()).keysChangedSince(v) : { version: 0, keys: [], more: false },
      },
      {
        pollMs: options.keysPollMs ?? 500,
        onError: (m) =>
          m
            ? log.warn('client keys cannot be refreshed; the ones loaded still work', { error: m })
            : log.info('client keys refreshed again'),
        onChange: (keys, initial) => {
          this.modelsCache.clear();
          if (initial) log.info('client keys loaded', { keys: keys.length });
          else log.info('client keys changed', { keys: keys.slice(0, 20).map((k) => k.name), count: keys.length });
        },
      },
    );
    this.limiter = new QuotaLimiter(
      {
        acquireLeases: async (r) => (await handle.get()).acquireLeases(r),
        flushQuota: async (...a) => (await handle.get()).flushQuota(...a),
        releaseLeases: async (...a) => (await handle.get()).releaseLeases(...a),
        pruneQuota: async (...a) => (await handle.get()).pruneQuota(...a),
      },
      `${hostname()}-${process.pid}-${randomId().slice(0, 8)}`,
      {
        onError: (m) => log.warn('key limits are enforced by this process alone until the store answers', { error: m }),
        ...(options.clock ? { clock: options.clock } : {}),
      },
    );
    this.retention = new RetentionJob(
      // Only a store this process opened has rows to expire: retention never opens one.
      { deleteRowsBefore: async (...a) => (handle.opened ? handle.opened.deleteRowsBefore(...a) : 0) },
      options.ledger.retention_days,
      3_600_000,
      (m) => log.warn('old ledger rows could not be deleted; retried in an hour', { error: m }),
    );
    this.prices = new PriceTable(options.prices);
    this.metrics = new KeyMetrics(options.metrics);
    this.setLedger(options.ledger);
  }

  /** Opens what is needed now (PostgreSQL, or an existing SQLite file) and loads the keys. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const g = new Gateway(options);
    await g.registry.start();
    g.limiter.start();
    g.retention.start();
    return g;
  }

  private setLedger(ledger: LedgerSettings): void {
    this.retention.setRetentionDays(ledger.retention_days);
    if (ledger.enabled && !this.writer) {
      const log = this.options.log;
      this.writer = new LedgerWriter(
        { insertRows: async (rows) => (await this.handle.get()).insertRows(rows) },
        {
          onError: (m) =>
            m
              ? log.error('ledger rows cannot be written; they wait in memory and are retried', { error: m })
              : log.info('ledger rows are written again'),
          onDrop: (n) => log.error('ledger queue full: rows are dropped (requests are not affected)', { dropped: n }),
        },
      );
      this.writer.start();
    } else if (!ledger.enabled && this.writer) {
      const old = this.writer;
      this.writer = undefined;
      void old.stop();
    }
  }

  /** After a config reload: new prices and ledger settings. */
  configure(prices: Record<string, PriceEntry>, ledger: LedgerSettings): void {
    this.prices = new PriceTable(prices);
    this.setLedger(ledger);
  }

  /** A client key's principal; a refusal for a revoked or expired key; undefined: not a key at all. */
  resolve(token: string): Principal | GateRefusal | undefined {
    const r = this.registry.resolve(token, this.options.clock?.() ?? Date.now());
    switch (r.kind) {
      case 'unknown':
        return undefined;
      case 'key':
        return { kind: 'key', name: r.key.record.name, key: r.key };
      case 'revoked':
        this.metrics.refused.inc(this.metrics.refusal(r.key.record.name, 'revoked'));
        return refusals.revoked(r.key.record.name);
      case 'expired':
        this.metrics.refused.inc(this.metrics.refusal(r.key.record.name, 'expired'));
        return refusals.expired(r.key.record.name, r.key.record.expiresAt!);
    }
  }

  /** 403 for a model outside the key's allow-list, or unpriced while the key has a money budget. */
  checkModel(p: Principal, route: string, targets: readonly RouteTarget[]): GateRefusal | undefined {
    if (p.kind === 'admin') return undefined;
    if (!p.key.models.allows(route)) {
      this.metrics.refused.inc(this.metrics.refusal(p.name, 'model'));
      return refusals.model(p.name, route);
    }
    if (p.key.record.budgetNano !== null) {
      const unpriced = targets.find((t) => !this.prices.lookup(t.provider, t.model));
      if (unpriced) {
        this.metrics.refused.inc(this.metrics.refusal(p.name, 'model'));
        return refusals.unpriced(p.name, route, `${unpriced.provider}/${unpriced.model}`);
      }
    }
    return undefined;
  }

  /** The key's rate limits and budgets; a Promise only when a lease had to come from the store. */
  admit(p: Principal): GateRefusal | undefined | Promise<GateRefusal | undefined> {
    if (p.kind === 'admin') return undefined;
    const r = this.limiter.admit(p.key.record);
    if (r === undefined) return undefined;
    if (!(r instanceof Promise)) return this.refused(p, r);
    return r.then((x) => (x ? this.refused(p, x) : undefined));
  }

  private refused(p: Principal, r: NonNullable<Awaited<ReturnType<QuotaLimiter['admit']>>>): GateRefusal {
    this.metrics.refused.inc(this.metrics.refusal(p.name, r.metric));
    return refusals.limit(r);
  }

  /** Everything a finished request leaves behind: cost, limit counters, metrics, a ledger row. */
  finish(p: Principal, r: FinishedRequest): void {
    const price = r.provider ? this.prices.lookup(r.provider, r.model) : undefined;
    const u = r.usage;
    const tokens = u ? u.prompt + u.completion : 0;
    const costNano = price ? (u ? costOf(price, u) : 0) : null;
    if (p.kind === 'key' && tokens + (costNano ?? 0) > 0) this.limiter.record(p.key.record, tokens, costNano);
    const label = this.metrics.label(p.name);
    this.metrics.requests.inc(`${label},${statusLabel(r.status)}`);
    if (u) {
      this.metrics.tokens.inc(`${label},${TOKEN_KINDS.input}`, u.prompt);
      this.metrics.tokens.inc(`${label},${TOKEN_KINDS.output}`, u.completion);
      if (u.cached) this.metrics.tokens.inc(`${label},${TOKEN_KINDS.cached}`, u.cached);
    }
    if (costNano) this.metrics.cost.inc(label, costNano / 1e9);
    if (costNano === null && tokens > 0) this.metrics.unpriced.inc(label);
    const writer = this.writer;
    if (!writer) return;
    const queued = writer.push(ledgerRow(p, r, costNano));
    this.metrics.ledgerRows.inc(queued ? LEDGER_RESULTS.queued : LEDGER_RESULTS.dropped);
  }

  /** /v1/models as this principal may use it: AUTH_TOKEN sees all, a key its allow-list. */
  modelsBody(p: Principal, fullBody: string, loadedAt: number): string {
    if (p.kind === 'admin' || p.key.models.all) return fullBody;
    const id = `${p.key.record.id}:${p.key.record.version}:${loadedAt}`;
    let body = this.modelsCache.get(id);
    if (body === undefined) {
      body = filterModels(fullBody, (model) => p.key.models.allows(model));
      if (this.modelsCache.size >= 1000) this.modelsCache.clear();
      this.modelsCache.set(id, body);
    }
    return body;
  }

  health(): GatewayHealth {
    this.metrics.ledgerQueue.set('', this.writer?.health().queued ?? 0);
    const t = this.options.target;
    const failure = this.handle.lastFailure;
    // No location: /health answers anyone, and a database's host and user are nobody's business
    // there (`ai-proxy config` and the start-up log line show it).
    const store = {
      kind: t.kind,
      status: (this.handle.opened ? 'ok' : failure ? 'error' : 'not opened') as 'ok' | 'not opened' | 'error',
      ...(failure ? { last_error: failure } : {}),
    };
    const keys = this.registry.health();
    const ledger = this.writer?.health() ?? { status: 'off' as const };
    const limitError = this.limiter.lastError;
    const limits = {
      status: limitError ? ('degraded' as const) : ('ok' as const),
      ...(limitError ? { last_error: limitError } : {}),
    };
    const degraded =
      store.status === 'error' || keys.status !== 'ok' || ledger.status === 'degraded' || limits.status !== 'ok';
    return { status: degraded ? 'degraded' : 'ok', store, keys, ledger, limits };
  }

  /** Writes what is queued and gives the limit leases back (graceful shutdown). */
  async close(): Promise<void> {
    this.registry.stop();
    this.retention.stop();
    await Promise.all([this.writer?.stop(), this.limiter.stop().catch(() => {})]);
    await this.handle.close();
  }
}
