/** emitCurrent: the present state is read once for a crowd of identical subscriptions, not once per subscriber. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/domain/clock.js';
import { allArrived, startStack, type Stack } from './helpers.js';
import { subscriptionEventsSent } from '../src/graphql/subscriptions.js';
import { sse } from './sub-clients.js';

const IDS = ['northflank:default-project/deepseek-v3-deployment', 'northflank:default-project/gemma-2-9b-it'];
const SUB = `subscription($ids: [ID!]) {
  modelDeploymentStatusChanged(ids: $ids, emitCurrent: true) {
    __typename ... on ModelDeploymentStatusTransition { initial current deployment { id } }
  }
}`;
const itemGets = (stack: Stack) => stack.sims.northflank!.server.calls.filter((c) => c.method === 'GET' && IDS.some((id) => c.path.endsWith(id.split('/')[1]!))).length;

describe('emitCurrent with many identical subscriptions', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The hub on a clock that never moves: it makes no poll, so what reaches the simulator here is
    // the first states' reads; and a later subscriber always joins within the poll interval in
    // which a baseline is reused, however slowly the machine runs.
    stack = await startStack({ vendors: ['northflank'], statusClock: createManualClock(), config: { status: { pollIntervalMs: 60_000 } } });
  });
  afterAll(() => stack?.close());

  it('100 subscribers get the present state of both ids, read once per id', async () => {
    const hub = stack.gateway.runtime.hub!;
    const sentFrom = subscriptionEventsSent(hub);
    const subs = Array.from({ length: 100 }, () => sse(stack.url, SUB, { ids: IDS }));
    try {
      await Promise.all(subs.map((s) => s.waitFor((ev) => ev.filter((e) => e.initial).length === 2)));
      // Every event sent is in: a present state sent twice would be counted below.
      await allArrived(hub, sentFrom, subs);
      for (const s of subs) {
        expect(s.events.map((e) => e.deployment.id).sort()).toEqual([...IDS].sort());
        expect(s.events.every((e) => e.initial && e.__typename === 'ModelDeploymentStatusTransition')).toBe(true);
      }
      // Without sharing this is 200 (one GET per id per subscriber).
      expect(itemGets(stack)).toBeLessThanOrEqual(IDS.length * 2);
      expect(itemGets(stack)).toBeGreaterThanOrEqual(IDS.length);
    } finally {
      subs.forEach((s) => s.stop());
    }
  }, 60_000);

  it('a later subscriber to the same watch sees a change made meanwhile in its first state, with no new read', async () => {
    const first = sse(stack.url, SUB, { ids: IDS });
    try {
      await first.waitFor((ev) => ev.filter((e) => e.initial).length === 2);
      const mutation = `mutation { updateModelDeployment(input: {id: "${IDS[1]}", description: "seen by late joiners"}) { __typename } }`;
      expect((await stack.gql(mutation)).body.data.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
      const before = itemGets(stack);
      // Another selection, the same watch (kind and ids): its first states come from the shared baseline.
      const late = sse(stack.url, `subscription($ids: [ID!]) { modelDeploymentStatusChanged(ids: $ids, emitCurrent: true) { __typename ... on ModelDeploymentStatusTransition { initial deployment { id description } } } }`, { ids: IDS });
      try {
        await late.waitFor((ev) => ev.filter((e) => e.initial).length === 2);
        expect(late.events.find((e) => e.deployment.id === IDS[1]).deployment.description).toBe('seen by late joiners');
      } finally {
        late.stop();
      }
      expect(itemGets(stack) - before).toBe(0);
    } finally {
      first.stop();
    }
  }, 60_000);
});
