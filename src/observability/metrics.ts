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

/** What prom-client 15 keeps per label set of a Histogram (lib/histogram.js `createBaseValues`). */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}
/** The parts of a prom-client Histogram the fast path below updates (pinned by test/metrics-fast-path.test.ts). */
interface HistogramInternals {
  hashMap: Record<string, HistogramEntry>;
  upperBounds: readonly number[];
  labelNames: readonly string[];
}

/**
 * Observations of a histogram by label values, for the per-request histograms. The first
 * observation of a label set goes through prom-client, which hashes and checks the labels (a
 * few µs, on every call otherwise); later ones add to the entry it made, as its own `observe`
 * does: the sum, the count, and the first bucket whose bound is not below the value. The entry
 * is looked up again by its key on each call, so a reset of the histogram is followed. A value
 * that is not finite goes through prom-client (which refuses it).
 */
export function childCache(histogram: Histogram<string>) {
  // prom-client keeps a histogram's label sets in fields its types do not declare; HistogramInternals names the ones read (a test holds the output to prom-client's own).
  const h = histogram as unknown as HistogramInternals;
  // One level per label: label values are mostly the same string objects call after call, whose
  // hashes V8 keeps, where a joined key would be a new string to hash on every call.
  type Level = Map<string, Level | Slot>;
  type Slot = { found: Found | null };
  const root: Level = new Map();
  return (values: string[], seconds: number) => {
    let level = root;
    for (let i = 0; i < values.length - 1; i++) {
      let next = level.get(values[i]!) as Level | undefined;
      if (!next) level.set(values[i]!, (next = new Map()));
      level = next;
    }
    const last = values[values.length - 1]!;
    let at = level.get(last) as Slot | undefined;
    if (!at) level.set(last, (at = { found: null }));
    const slot = at.found;
    if (slot && h.hashMap[slot.hash] === slot.entry && Number.isFinite(seconds)) {
      const e = slot.entry;
      const { bounds, keys } = slot;
      e.sum += seconds;
      e.count += 1;
      for (let i = 0; i < bounds.length; i++) {
        if (seconds <= bounds[i]!) {
          // The bucket's key as prom-client's own `bucketValues[bound]` makes it, converted once.
          const key = keys[i]!;
          if (Object.prototype.hasOwnProperty.call(e.bucketValues, key)) e.bucketValues[key]! += 1;
          break;
        }
      }
      return;
    }
    histogram.labels(...values).observe(seconds);
    at.found = entryOf(h, values);
  };
}

/** A label set's entry in prom-client's `hashMap`, with its key there, and the bucket bounds with their keys in `bucketValues`. */
interface Found {
  hash: string;
  entry: HistogramEntry;
  bounds: readonly number[];
  keys: readonly string[];
}

/** The entry prom-client keeps for these label values. */
function entryOf(h: HistogramInternals, values: string[]): Found | null {
  if (!h.hashMap || !Array.isArray(h.upperBounds) || !Array.isArray(h.labelNames)) return null;
  for (const hash of Object.keys(h.hashMap)) {
    const entry = h.hashMap[hash]!;
    if (h.labelNames.every((name, i) => entry.labels?.[name] === values[i])) return { hash, entry, bounds: h.upperBounds, keys: h.upperBounds.map(String) };
  }
  return null;
}

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];
export function statusClass(status: number | null): string {
  if (status === null) return 'error';
  const c = Math.floor(status / 100);
  return STATUS_CLASSES[c] ?? `${c}xx`;
}
