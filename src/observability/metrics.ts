// The proxy's metrics, defined once. Names follow Prometheus conventions (unit suffixes).
import { CallbackGauge, Counter, Gauge, Histogram, Registry } from './metrics-registry.ts';

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const started = Date.now();

/** @param budgetInUse bytes charged to the memory budget now (src/limits/budget.ts) */
export function createMetrics(budgetInUse: () => number = () => 0) {
  const registry = new Registry();
  return {
    registry,
    requests: registry.register(
      new Counter('aiproxy_requests_total', 'HTTP requests by endpoint, route (public model), provider and status'),
    ),
    duration: registry.register(
      new Histogram(
        'aiproxy_request_duration_seconds',
        'Time from request to the end of the response, by endpoint and provider',
        LATENCY_BUCKETS,
      ),
    ),
    ttfb: registry.register(
      new Histogram(
        'aiproxy_upstream_ttfb_seconds',
        'Time until upstream response headers, by provider',
        LATENCY_BUCKETS,
      ),
    ),
    upstreamErrors: registry.register(
      new Counter('aiproxy_upstream_errors_total', 'Failed upstream attempts by provider and kind'),
    ),
    retries: registry.register(new Counter('aiproxy_retries_total', 'Upstream retries by provider')),
    fallbacks: registry.register(
      new Counter('aiproxy_fallbacks_total', 'Requests moved to the next target of their route'),
    ),
    activeStreams: registry.register(new Gauge('aiproxy_active_streams', 'Streaming responses in progress')),
    activeRequests: registry.register(new Gauge('aiproxy_active_requests', 'Requests in progress')),
    tokens: registry.register(
      new Counter(
        'aiproxy_tokens_total',
        'Tokens reported by upstreams, by provider, model and kind (prompt|completion)',
      ),
    ),
    reloads: registry.register(new Counter('aiproxy_config_reloads_total', 'Configuration reloads by result')),
    budget: registry.register(
      new CallbackGauge(
        'aiproxy_memory_budget_used_bytes',
        'Bytes of request bodies, buffered answers and SSE events charged to server.memory_budget_bytes',
        budgetInUse,
      ),
    ),
    rss: registry.register(
      new CallbackGauge('process_resident_memory_bytes', 'Resident memory size in bytes', () =>
        process.memoryUsage.rss(),
      ),
    ),
    heap: registry.register(
      new CallbackGauge('nodejs_heap_used_bytes', 'V8 heap in use in bytes', () => process.memoryUsage().heapUsed),
    ),
    uptime: registry.register(
      new CallbackGauge(
        'process_uptime_seconds',
        'Seconds since the proxy started',
        () => (Date.now() - started) / 1000,
      ),
    ),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
