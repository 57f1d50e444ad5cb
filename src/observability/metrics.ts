import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds: GraphQL operations and upstream calls (a few ms to the 10 s upstream deadline and beyond). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The gateway's Prometheus metrics, in a registry of its own: two gateways in one process never
 * share a counter. Labels are names, routes and classes — never a deployment id, key or secret.
 */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  let defaults = false;
  const m = {
    registry,
    graphqlDuration: new Histogram({
      name: 'model_gateway_graphql_operation_duration_seconds',
      help: 'GraphQL operations (queries, mutations, subscription starts) by operation name, type and outcome (ok or error).',
      labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    upstreamDuration: new Histogram({
      name: 'model_gateway_upstream_request_duration_seconds',
      help: 'Requests to vendor APIs (each attempt) by backend, method, route template and status class (2xx..5xx, or error when no answer came).',
      labelNames: ['backend', 'method', 'route', 'status_class'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    upstreamRetries: new Counter({
      name: 'model_gateway_upstream_retries_total',
      help: 'Retries of idempotent vendor requests, by backend, method and route template.',
      labelNames: ['backend', 'method', 'route'] as const,
      registers,
    }),
    rateLimitWaits: new Counter({
      name: 'model_gateway_upstream_rate_limit_waits_total',
      help: 'Waits a vendor asked for (429 with Retry-After or a reset header) before a retry, by backend.',
      labelNames: ['backend'] as const,
      registers,
    }),
    rateLimitWaitSeconds: new Counter({
      name: 'model_gateway_upstream_rate_limit_wait_seconds_total',
      help: 'Time spent waiting as vendors asked, by backend.',
      labelNames: ['backend'] as const,
      registers,
    }),
    circuitState: new Gauge({
      name: 'model_gateway_upstream_circuit_state',
      help: 'Circuit breaker per backend: 0 closed (calls go through), 1 half-open (one probe), 2 open (failing fast).',
      labelNames: ['backend'] as const,
      registers,
    }),
    subscriptions: new Gauge({
      name: 'model_gateway_subscriptions_live',
      help: 'Live GraphQL subscriptions by transport (sse, ws, http).',
      labelNames: ['transport'] as const,
      registers,
    }),
    hubPolls: new Counter({
      name: 'model_gateway_hub_polls_total',
      help: 'Status polls of watched backends, by backend and outcome (ok or error).',
      labelNames: ['backend', 'outcome'] as const,
      registers,
    }),
    hubPollDuration: new Histogram({
      name: 'model_gateway_hub_poll_duration_seconds',
      help: 'How long one status poll of a backend took.',
      labelNames: ['backend'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    deliveryLag: new Histogram({
      name: 'model_gateway_event_delivery_lag_seconds',
      help: 'From a change being observed (poll or mutation) to its event being handed to the subscribers of this instance.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    planApplies: new Counter({
      name: 'model_gateway_plan_applies_total',
      help: 'Bulk update plans applied, by outcome (applied: every item ok; partial: some failed; refused: the plan was not applied).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    writes: new Counter({
      name: 'model_gateway_writes_total',
      help: 'Writes to deployments through the gateway, by backend and outcome (APPLIED, REFUSED, NOT_SENT, NOT_APPLIED, UNKNOWN).',
      labelNames: ['backend', 'outcome'] as const,
      registers,
    }),
    /** The text a scrape gets; process metrics (CPU, memory, event loop) join at the first scrape. */
    async scrape(): Promise<{ contentType: string; body: string }> {
      if (!defaults) {
        defaults = true;
        collectDefaultMetrics({ register: registry });
      }
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * A histogram's labelled children kept by one string key: prom-client hashes the label object on
 * every observation otherwise (a few µs on every request).
 */
export function childCache<H extends { labels(...values: string[]): { observe(v: number): void } }>(histogram: H) {
  const children = new Map<string, { observe(v: number): void }>();
  return (values: string[], seconds: number) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (!child) children.set(key, (child = histogram.labels(...values)));
    child.observe(seconds);
  };
}

export function statusClass(status: number | null): string {
  return status === null ? 'error' : `${Math.floor(status / 100)}xx`;
}
