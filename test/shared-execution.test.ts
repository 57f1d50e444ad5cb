/** Identical subscriptions share each event's execution; different variables or callers do not; a pulled stream's events pass every layer at once. */
import { describe, expect, it } from 'vitest';
import { createSchema, createYoga } from 'graphql-yoga';
import { parse, type ExecutionResult } from 'graphql';
import { useSharedSubscriptionExecution } from '../src/graphql/shared-execution.js';
import { PULL, type Pullable, type PullChannel, type PullReader } from '../src/app/pull.js';
import { useEndableStreams, type StreamEnder } from '../src/server/streams.js';

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

/** A source that can be read without waiting (src/app/pull.ts), as a subscriber's feed is. */
class PulledSource implements AsyncIterableIterator<object>, Pullable<object> {
  readonly queue: object[] = [];
  reader: PullReader | null = null;
  ended = false;
  push(ev: object) {
    this.queue.push(ev);
    this.reader?.wake();
  }
  take(): IteratorResult<object> | null {
    if (this.queue.length) return { value: this.queue.shift()!, done: false };
    return this.ended ? { value: undefined, done: true } : null;
  }
  ready() {
    return this.queue.length > 0 || this.ended;
  }
  next(): Promise<IteratorResult<object>> {
    throw new Error('a pulled source is read by take()');
  }
  return(): Promise<IteratorResult<object>> {
    this.ended = true;
    this.reader?.wake();
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

describe('pulled subscriptions', () => {
  function setup() {
    const sources: PulledSource[] = [];
    const schema = createSchema({
      typeDefs: 'type Query { ok: Boolean } type Subscription { tick: Tick! } type Tick { n: Int! }',
      resolvers: {
        Subscription: {
          tick: {
            subscribe: () => {
              const s = new PulledSource();
              sources.push(s);
              return s;
            },
            resolve: (ev: { n: number }) => ev,
          },
        },
      },
    });
    const streams: StreamEnder = { ended: false, open: new Set() };
    // Yoga's own plugins (error masking's per-event hook among them) wrap every subscription too.
    const yoga = createYoga({ schema, plugins: [useSharedSubscriptionExecution(), useEndableStreams(streams)] });
    const document = parse('subscription { tick { n } }');
    const subscribe = async (reader: { wake(): void }) => {
      const { subscribe, contextFactory, schema: s } = yoga.getEnveloped({ request: new Request('http://x/graphql') });
      const contextValue = await contextFactory();
      const channel: PullChannel = { attach: (source) => (source.reader = channel), wake: () => reader.wake() };
      (contextValue as Record<symbol, unknown>)[PULL] = channel;
      return (await subscribe({ schema: s, document, contextValue })) as AsyncIterableIterator<ExecutionResult>;
    };
    return { subscribe, sources, streams };
  }

  it('hands each event through every layer at once, the same result to every subscriber, and ends at a drain', async () => {
    const s = setup();
    const got: Array<Array<IteratorResult<ExecutionResult>>> = [];
    /** Per subscriber, whether each result came before next() returned. */
    const atOnce: boolean[][] = [];
    const subs: AsyncIterableIterator<ExecutionResult>[] = [];
    for (let i = 0; i < 3; i++) {
      const mine: Array<IteratorResult<ExecutionResult>> = [];
      const sync: boolean[] = [];
      got.push(mine);
      atOnce.push(sync);
      // Told an event is there, the reader calls next().
      const reader = {
        wake: () => {
          let returned = false;
          subs[i]!.next().then((r) => {
            mine.push(r);
            sync.push(!returned);
          });
          returned = true;
        },
      };
      subs.push(await s.subscribe(reader));
    }
    expect(s.sources).toHaveLength(3);
    const ev = { n: 5 };
    for (const source of s.sources) source.push(ev);
    for (const source of s.sources) source.push({ n: 6 });
    const tick = (n: number) => ({ data: { tick: { n } } });
    expect(got.map((g) => g.map((r) => r.value))).toEqual([0, 1, 2].map(() => [tick(5), tick(6)]));
    expect(atOnce).toEqual([0, 1, 2].map(() => [true, true]));
    expect(got[1]![0]!.value).toBe(got[0]![0]!.value);
    // A drain ends every stream: the reader is woken and next() says done.
    expect(s.streams.open.size).toBe(3);
    for (const e of [...s.streams.open]) e.end();
    await new Promise((r) => setImmediate(r));
    expect(got.map((g) => g.at(-1)!.done)).toEqual([true, true, true]);
  });
});
