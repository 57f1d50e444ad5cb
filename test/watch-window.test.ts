/**
 * The start of a watch: between a subscription and the hub's first read of what it watches, the
 * hub has no baseline. A change made through the gateway in that window reaches every subscriber,
 * with and without emitCurrent, over SSE and WebSocket. The hub runs on a manual clock: the window
 * is opened on purpose, in every run, and the first poll is made to race the mutation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/domain/clock.js';
import { subscriptionEventsSent, subscriptionStats } from '../src/graphql/subscriptions.js';
import { allArrived, dataOf, hubIdle, startStack, until, type Stack } from './helpers.js';
import { sse, ws, type Collector } from './sub-clients.js';

const INTERVAL = 60_000;
// Apart, so that the emitCurrent reads (which the hub takes as its baseline) do not close the
// window for the subscribers without emitCurrent.
const PLAIN = 'northflank:default-project/deepseek-v3-deployment';
const EMIT = 'northflank:default-project/gemma-2-9b-it';
const SUB = `subscription($ids: [ID!], $emit: Boolean) {
  modelDeploymentChanged(ids: $ids, emitCurrent: $emit) {
    __typename
    ... on ModelDeploymentChange { initial changedFields deployment { id name } }
  }
}`;

describe('a mutation 10 ms after subscribing, before the hub has read anything', () => {
  const clock = createManualClock();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: ['northflank'], clock, statusClock: clock, config: { status: { pollIntervalMs: INTERVAL } } });
  });
  afterAll(() => stack?.close());

  it('reaches every subscriber, with and without emitCurrent, over SSE and WebSocket: 50 runs in a row', async () => {
    const hub = stack.gateway.runtime.hub!;
    for (let run = 0; run < 50; run++) {
      // Even runs: the hub's first poll falls due with the mutation and races it; odd runs: the
      // hub polled less than an interval ago, so it reads nothing before the mutation.
      if (run % 2 === 0) clock.advance(INTERVAL * 2);
      const sentFrom = subscriptionEventsSent(hub);
      const subs: Array<{ name: string; emit: boolean; c: Collector }> = [
        { name: 'SSE', emit: false, c: sse(stack.url, SUB, { ids: [PLAIN], emit: false }) },
        { name: 'WebSocket', emit: false, c: ws(stack.url, SUB, { ids: [PLAIN], emit: false }) },
        { name: 'SSE emitCurrent', emit: true, c: sse(stack.url, SUB, { ids: [EMIT], emit: true }) },
        { name: 'WebSocket emitCurrent', emit: true, c: ws(stack.url, SUB, { ids: [EMIT], emit: true }) },
      ];
      try {
        await until('four subscribers', () => subscriptionStats(hub).subscribers === 4);
        for (const s of subs.filter((x) => x.emit)) await s.c.waitFor((ev) => ev.some((e) => e.initial));
        expect(hub.stats().northflank?.polls).toBe(0);

        clock.advance(10);
        // Even runs: the first poll has begun (its read is in flight); odd runs: none is due yet.
        expect(hub.stats().northflank?.polls).toBe(run % 2 === 0 ? 1 : 0);
        const name = `renamed in run ${run}`;
        const res = dataOf(
          await stack.gql(
            `mutation($name: String!) {
              a: updateModelDeployment(input: { id: "${PLAIN}", name: $name }) { __typename }
              b: updateModelDeployment(input: { id: "${EMIT}", name: $name }) { __typename }
            }`,
            { name },
          ),
        );
        expect([res.a.__typename, res.b.__typename]).toEqual(['UpdateModelDeploymentSuccess', 'UpdateModelDeploymentSuccess']);
        const renamed = (c: Collector) => c.events.filter((e) => !e.initial && e.deployment?.name === name);
        for (const s of subs) await s.c.waitFor((ev) => renamed({ events: ev } as Collector).length > 0).catch(() => undefined);
        // Nothing twice: the poll in flight (even runs) has ended, and every event sent is in.
        await until('the poll to end', () => hubIdle(hub));
        await allArrived(hub, sentFrom, subs.map((s) => s.c));
        expect({ run, got: subs.map((s) => [s.name, renamed(s.c).length]) }).toEqual({ run, got: subs.map((s) => [s.name, 1]) });
        for (const s of subs) expect(renamed(s.c)[0].changedFields).toContain('name');
      } finally {
        subs.forEach((s) => s.c.stop());
      }
      await until('the watch to end', () => Object.keys(hub.stats()).length === 0);
    }
  }, 120_000);
});
