// Prometheus counters per client key. Keys are created by the operator, so the label values
// are a known, bounded set (the key's name; "admin" for AUTH_TOKEN); clients cannot add any.
import { keyLabel } from '../observability/labels.ts';
import { Counter, Gauge, labelKey } from '../observability/metrics-registry.ts';

export interface MetricSink {
  register<M extends { render(): string }>(m: M): M;
}

export class KeyMetrics {
  readonly requests = new Counter('aiproxy_key_requests_total', 'API requests by client key and status');
  readonly tokens = new Counter('aiproxy_key_tokens_total', 'Tokens by client key and kind (input|output|cached)');
  readonly cost = new Counter(
    'aiproxy_key_cost_total',
    'Cost of priced requests by client key, in the currency of prices: (unpriced requests are not in it)',
  );
  readonly unpriced = new Counter('aiproxy_key_unpriced_requests_total', 'Requests with tokens but no price, by key');
  readonly refused = new Counter(
    'aiproxy_key_refused_total',
    'Requests refused by a key limit, by key and limit (rpm|tpm|budget|token_budget|model|revoked|expired)',
  );
  readonly ledgerRows = new Counter('aiproxy_ledger_rows_total', 'Ledger rows by result (queued|dropped)');
  readonly ledgerQueue = new Gauge('aiproxy_ledger_queue_rows', 'Ledger rows waiting to be written');
  constructor(sink: MetricSink) {
    for (const m of [
      this.requests,
      this.tokens,
      this.cost,
      this.unpriced,
      this.refused,
      this.ledgerRows,
      this.ledgerQueue,
    ])
      sink.register(m);
  }

  /** key="name". */
  label(name: string): string {
    return keyLabel(name);
  }

  /** key="name",limit="rpm". */
  refusal(name: string, limit: string): string {
    return `${keyLabel(name)},${limitLabels[limit] ?? labelKey({ limit })}`;
  }
}

const limitLabels: Record<string, string> = Object.fromEntries(
  ['rpm', 'tpm', 'budget', 'token_budget', 'model', 'revoked', 'expired'].map((l) => [l, labelKey({ limit: l })]),
);
