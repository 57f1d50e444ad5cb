/** A fleet larger than a subscriber's backlog (1,024 events): emitCurrent sends it whole, and the hub's first read of it is published without overflowing the pubsub. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, dataOf, pollRounds, until, type Stack } from './helpers.js';
import { createManualClock } from '../src/domain/clock.js';
import { subscriptionStats } from '../src/graphql/subscriptions.js';
import { sse } from './sub-clients.js';

const N = 2000;
const SUB = `subscription {
  modelDeploymentChanged(emitCurrent: true) {
    __typename ... on ModelDeploymentChange { initial changedFields deployment { id name } }
    ... on BackendUnavailable { backend message }
  }
}`;

describe(`a backend with ${N} deployments`, () => {
  let stack: Stack;
  /** The hub's clock: it polls when the test moves it. */
  const clock = createManualClock();
  const INTERVAL = 100;
  beforeAll(async () => {
    stack = await startStack({ vendors: ['zstack'], statusClock: clock, config: { status: { pollIntervalMs: INTERVAL } } });
    const sim = stack.sims.zstack!;
    const have = dataOf(await stack.gql('{ modelDeployments(first: 0) { totalCount } }')).modelDeployments.totalCount as number;
    for (let i = have; i < N; i++) {
      sim.addModel({ uuid: (i.toString(16).padStart(8, '0') + 'f1ee7000000000000000000000').slice(0, 32), name: `fleet-${i}`, description: 'generated' });
    }
  }, 60_000);
  afterAll(() => stack?.close());

  /** Moves the hub's clock until it has ended `n` more polls (a step is the interval and its jitter). */
  const waitForPolls = (n: number) => pollRounds(stack.gateway.runtime.hub!, clock, { zstack: n }, INTERVAL * 1.1);

  it('the hub publishes its first read of them all (no backlog overflow); emitCurrent sends every present state, then changes, on a stream that stays open', async () => {
    // Without emitCurrent the hub's first read is the baseline: all N observations are published at once.
    const plain = sse(stack.url, SUB.replace('(emitCurrent: true)', ''), {});
    const sub = sse(stack.url, SUB, {});
    try {
      await until('both subscribers', () => subscriptionStats(stack.gateway.runtime.hub!).subscribers === 2);
      await waitForPolls(3);
      expect(stack.logs.filter((l) => l.includes('publishing an observation failed'))).toEqual([]);
      await sub.waitFor((ev) => ev.filter((e) => e.initial).length === N);
      const ids = new Set(sub.events.filter((e) => e.initial).map((e) => e.deployment.id));
      expect(ids.size).toBe(N);
      await waitForPolls(2);
      expect(stack.logs.filter((l) => l.includes('publishing an observation failed'))).toEqual([]);
      // A change after them arrives on both streams.
      const target = [...ids][N - 1]!;
      const r = dataOf(await stack.gql('mutation($id: ID!) { updateModelDeployment(input: { id: $id, name: "renamed-last" }) { __typename } }', { id: target }));
      expect(r.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
      for (const s of [sub, plain]) await s.waitFor((ev) => ev.some((e) => !e.initial && e.deployment?.id === target && e.deployment.name === 'renamed-last'));
      expect([...sub.events, ...plain.events].filter((e) => e.error || e.__typename === 'BackendUnavailable')).toEqual([]);
    } finally {
      sub.stop();
      plain.stop();
    }
  }, 90_000);
});
