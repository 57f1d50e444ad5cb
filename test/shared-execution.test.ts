/** Identical subscriptions share each event's execution; different variables or callers do not. */
import { describe, expect, it } from 'vitest';
import { createSchema, createYoga } from 'graphql-yoga';
import { parse, type ExecutionResult } from 'graphql';
import { useSharedSubscriptionExecution } from '../src/graphql/shared-execution.js';

function setup() {
  let resolved = 0;
  const feeds: Array<(ev: object) => void> = [];
  const schema = createSchema({
    typeDefs: 'type Query { ok: Boolean } type Subscription { tick(tag: String!): Tick! } type Tick { n: Int! tag: String! }',
    resolvers: {
      Subscription: {
        tick: {
          subscribe: () => {
            // Every subscriber's source yields the same event objects, as a shared watch does.
            const queue: object[] = [];
            let wake: (() => void) | null = null;
            feeds.push((ev) => {
              queue.push(ev);
              wake?.();
            });
            return (async function* () {
              for (;;) {
                while (queue.length) yield queue.shift();
                await new Promise<void>((r) => (wake = r));
              }
            })();
          },
          resolve: (ev: { n: number }, args: { tag: string }) => ({ n: ev.n, tag: args.tag }),
        },
      },
      Tick: {
        n: (t: { n: number }) => {
          resolved += 1;
          return t.n;
        },
      },
    },
  });
  const yoga = createYoga({ schema, plugins: [useSharedSubscriptionExecution()] });
  const document = parse('subscription($tag: String!) { tick(tag: $tag) { n tag } }');
  const subscribe = async (tag: string, principal: unknown = null) => {
    const { subscribe, contextFactory, schema: s } = yoga.getEnveloped({ request: new Request('http://x/graphql') });
    const contextValue = { ...(await contextFactory()), principal };
    return (await subscribe({ schema: s, document, variableValues: { tag }, contextValue })) as AsyncIterableIterator<ExecutionResult>;
  };
  return { subscribe, publish: (ev: object) => feeds.forEach((f) => f(ev)), resolved: () => resolved };
}

describe('shared subscription execution', () => {
  it('executes an event once for identical subscriptions, and gives each the same result', async () => {
    const s = setup();
    const subs = await Promise.all(Array.from({ length: 20 }, () => s.subscribe('a')));
    const next = subs.map((it) => it.next());
    s.publish({ n: 1 });
    const results = await Promise.all(next);
    expect(results.every((r) => (r.value as ExecutionResult).data?.tick && JSON.stringify(r.value) === JSON.stringify(results[0]!.value))).toBe(true);
    expect(results.every((r) => r.value === results[0]!.value)).toBe(true);
    expect(s.resolved()).toBe(1);
    await Promise.all(subs.map((it) => it.return?.()));
  });

  it('executes separately for other variables and for another caller', async () => {
    const s = setup();
    const a = await s.subscribe('a', { name: 'k1', scopes: ['read'], backends: null });
    const b = await s.subscribe('b', { name: 'k1', scopes: ['read'], backends: null });
    const c = await s.subscribe('a', { name: 'k2', scopes: ['read'], backends: ['x'] });
    const next = [a.next(), b.next(), c.next()];
    s.publish({ n: 7 });
    const [ra, rb, rc] = await Promise.all(next);
    expect((ra!.value as ExecutionResult).data).toEqual({ tick: { n: 7, tag: 'a' } });
    expect((rb!.value as ExecutionResult).data).toEqual({ tick: { n: 7, tag: 'b' } });
    expect(rc!.value).not.toBe(ra!.value);
    expect(s.resolved()).toBe(3);
    await Promise.all([a, b, c].map((it) => it.return?.()));
  });
});
