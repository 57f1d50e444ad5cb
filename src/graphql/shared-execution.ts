import { createSourceEventStream, execute, print, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';
import { isPullable, pullChannelOf, Settled, type Pullable } from '../app/pull.js';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Per source event, the results already produced, by subscription group. A hub event is one
 * object handed to every subscriber of a shared watch (subscriptions.ts), so the map lives as
 * long as the event does.
 */
const resultsByEvent = new WeakMap<object, Map<string, Result>>();
const printed = new WeakMap<DocumentNode, string>();

/** Same operation, variables and caller: the same result for the same event. */
function groupOf(args: ExecutionArgs): string {
  const doc = args.document;
  let text = printed.get(doc);
  if (text === undefined) printed.set(doc, (text = doc.loc?.source.body ?? print(doc)));
  const principal = (args.contextValue as GraphQLContext | undefined)?.principal;
  return JSON.stringify([text, args.operationName ?? null, args.variableValues ?? null, principal ? [principal.name, principal.scopes, principal.backends] : null]);
}

/**
 * Subscriptions that run the same operation with the same variables for the same caller share
 * each event's execution: one event to 10,000 identical dashboards is executed once, not 10,000
 * times (the result object is shared too, so a transport can serialize it once). Otherwise this
 * is graphql-js's own subscribe: the source stream from the field's `subscribe`, each event
 * executed with the event as root value.
 */
export function useSharedSubscriptionExecution(): Plugin<GraphQLContext> {
  /** This gateway's live groups: the arguments their members execute with, and how many members there are. */
  const groups = new Map<string, Group>();
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in (source as object))) return source as ExecutionResult;
        const key = groupOf(args);
        // Members of a group execute with the group's arguments: a subscriber's own (its variables,
        // its context) are not kept for the life of its subscription.
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { key, args, members: 0, groups }));
        group.members += 1;
        const events = new GroupEvents(source as AsyncIterableIterator<unknown>, group);
        // A reader that pulls (src/app/pull.ts) reads the member's feed when it has an event.
        const channel = pullChannelOf(args.contextValue);
        if (channel && isPullable(source)) {
          events.pull = source;
          channel.attach(source);
        }
        return events;
      });
    },
  };
}

interface Group {
  key: string;
  args: ExecutionArgs;
  members: number;
  /** The gateway's groups, this one among them while it has members. */
  groups: Map<string, Group>;
}

const DONE: IteratorResult<ExecutionResult> = { value: undefined, done: true };

/**
 * One member's results: its source events, each executed once per group. A class, not closures:
 * there is one of these per subscriber, for as long as it stays.
 */
class GroupEvents implements AsyncIterableIterator<ExecutionResult> {
  private ended = false;
  /** The source, when a pulling reader reads it (it calls next() when the source has a result). */
  pull: Pullable<unknown> | null = null;
  constructor(
    private readonly source: AsyncIterableIterator<unknown>,
    private readonly group: Group,
  ) {}

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.pull) {
      // The result is there already: handed on at once, without a promise.
      let r: IteratorResult<unknown> | null;
      try {
        r = this.pull.take();
      } catch (err) {
        this.end(DONE);
        // A Settled is a thenable that settles at once; iterator callers only `await`/`then` it, as a Promise.
        return new Settled(err, true) as unknown as Promise<never>;
      }
      if (r) {
        let mapped: ReturnType<GroupEvents['map']>;
        try {
          mapped = this.map(r);
        } catch (err) {
          // A Settled is a thenable that settles at once; iterator callers only `await`/`then` it, as a Promise.
          return new Settled(err, true) as unknown as Promise<never>;
        }
        // A Settled is a thenable that settles at once; iterator callers only `await`/`then` it, as a Promise.
        return mapped instanceof Promise ? mapped : (new Settled(mapped) as unknown as Promise<IteratorResult<ExecutionResult>>);
      }
    }
    return this.source.next().then(
      (r) => this.map(r),
      (err) => this.fail(err),
    );
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.source.return) return Promise.resolve(this.end(DONE));
    return this.source.return().then(
      (r) => this.map(r),
      (err) => this.fail(err),
    );
  }

  throw(err: unknown): Promise<IteratorResult<ExecutionResult>> {
    if (!this.source.throw) return Promise.reject(err);
    return this.source.throw(err).then(
      (r) => this.map(r),
      (e) => this.fail(e),
    );
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  // A shared result is usually there already: no promise is made for it.
  private map(r: IteratorResult<unknown>): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> {
    if (r.done) return this.end(r);
    const value = this.run(r.value);
    return value instanceof Promise ? value.then((v) => ({ value: v, done: false })) : { value, done: false };
  }

  private run(payload: unknown): Result {
    const { args, key } = this.group;
    if (payload === null || typeof payload !== 'object') return execute({ ...args, rootValue: payload });
    let byGroup = resultsByEvent.get(payload);
    if (!byGroup) resultsByEvent.set(payload, (byGroup = new Map()));
    let result = byGroup.get(key);
    if (!result) byGroup.set(key, (result = execute({ ...args, rootValue: payload })));
    return result;
  }

  private fail(err: unknown): never {
    this.end(DONE);
    throw err;
  }

  private end<T>(r: IteratorResult<T>): IteratorResult<T> {
    if (r.done && !this.ended) {
      this.ended = true;
      const g = this.group;
      if (--g.members === 0 && g.groups.get(g.key) === g) g.groups.delete(g.key);
    }
    return r;
  }
}
