/**
 * The per-request histograms are observed through childCache (src/observability/metrics.ts), which
 * adds to prom-client's own entries after the first observation of a label set. On generated
 * sequences of observations — bucket bounds exactly, values between and beyond them, zero and
 * negative values, non-finite ones (refused), resets in between — what a scrape shows is what
 * prom-client's own `labels(...).observe()` would have made, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { childCache, createMetrics } from '../src/observability/metrics.js';

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const value = fc.oneof(
  fc.constantFrom(...BOUNDS, 0, -0, -1, 31, 1e9, Number.MIN_VALUE, NaN, Infinity, -Infinity),
  fc.double({ min: 0, max: 40, noNaN: true }),
  fc.double({ noNaN: false }),
);
type Step = { kind: 'observe'; labels: string[]; seconds: number } | { kind: 'reset' };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('observe' as const), labels: fc.tuple(fc.constantFrom('northflank', 'nemo'), fc.constantFrom('GET', 'POST'), fc.constantFrom('/a', '/b/{id}'), fc.constantFrom('2xx', '5xx', 'error')), seconds: value }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

/** Runs the steps; a refused value is recorded as refused instead of thrown. */
function run(steps: Step[], observe: (labels: string[], seconds: number) => void, reset: () => void): string[] {
  return steps.map((s) => {
    if (s.kind === 'reset') {
      reset();
      return 'reset';
    }
    try {
      observe(s.labels, s.seconds);
      return 'ok';
    } catch (err) {
      return `refused: ${(err as Error).message}`;
    }
  });
}

describe('childCache: the per-request histograms show what prom-client would', () => {
  it('generated observations and resets: the same outcomes and the same scrape text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 200 }), async (steps) => {
        const fast = createMetrics();
        const plain = createMetrics();
        const observe = childCache(fast.upstreamDuration);
        const a = run(steps, observe, () => fast.upstreamDuration.reset());
        const b = run(steps, (labels, seconds) => plain.upstreamDuration.labels(...labels).observe(seconds), () => plain.upstreamDuration.reset());
        expect(a).toEqual(b);
        const name = 'model_gateway_upstream_request_duration_seconds';
        expect(await fast.registry.getSingleMetricAsString(name)).toBe(await plain.registry.getSingleMetricAsString(name));
      }),
      { numRuns: 300 },
    );
  });

  it('uses its fast path: after the first observation of a label set, prom-client is not asked again', () => {
    const m = createMetrics();
    let asked = 0;
    const labels = m.graphqlDuration.labels.bind(m.graphqlDuration);
    m.graphqlDuration.labels = ((...v: string[]) => (asked++, labels(...v))) as typeof m.graphqlDuration.labels;
    const observe = childCache(m.graphqlDuration);
    for (let i = 0; i < 100; i++) observe(['q', 'query', 'ok'], i / 100);
    expect(asked).toBe(1);
  });
});
