import { createSourceEventStream, execute, print, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Per source event, the results already produced, by subscription group. A hub event is one
 * object handed to every subscriber of a shared watch (subscriptions.ts), so the map lives as
 * long as the event does.
 */
const resultsByEvent = new WeakMap<object, Map<string, Result>>();
const printed = new WeakMap<DocumentNode, string>();
/** Live groups: the arguments their members execute with, and how many members there are. */
const groups = new Map<string, { key: string; args: ExecutionArgs; members: number }>();

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
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in (source as object))) return source as ExecutionResult;
        const group = groupOf(args);
        // Members of a group execute with the group's arguments: a subscriber's own (its variables,
        // its context) are not kept for the life of its subscription.
        let shared = groups.get(group);
        if (!shared) groups.set(group, (shared = { key: group, args, members: 0 }));
        shared.members += 1;
        const g = shared;
        const key = g.key;
        const run = (payload: unknown): Result => {
          if (payload === null || typeof payload !== 'object') return execute({ ...g.args, rootValue: payload });
          let byGroup = resultsByEvent.get(payload);
          if (!byGroup) resultsByEvent.set(payload, (byGroup = new Map()));
          let result = byGroup.get(key);
          if (!result) byGroup.set(key, (result = execute({ ...g.args, rootValue: payload })));
          return result;
        };
        const leave = () => {
          if (--g.members === 0 && groups.get(key) === g) groups.delete(key);
        };
        return mapEvents(source as AsyncIterableIterator<unknown>, run, leave);
      });
    },
  };
}

function mapEvents(source: AsyncIterableIterator<unknown>, fn: (v: unknown) => Result, onEnd: () => void): AsyncIterableIterator<ExecutionResult> {
  let ended = false;
  const DONE: IteratorResult<ExecutionResult> = { value: undefined, done: true };
  const end = <T>(r: IteratorResult<T>) => {
    if (r.done && !ended) {
      ended = true;
      onEnd();
    }
    return r;
  };
  // A shared result is usually there already: no promise is made for it.
  const map = (r: IteratorResult<unknown>): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> => {
    if (r.done) return end(r);
    const value = fn(r.value);
    return value instanceof Promise ? value.then((v) => ({ value: v, done: false })) : { value, done: false };
  };
  const fail = (err: unknown): never => {
    end(DONE);
    throw err;
  };
  return {
    next: () => source.next().then(map, fail),
    return: () => (source.return ? source.return().then(map, fail) : Promise.resolve(end(DONE))),
    throw: (err) => (source.throw ? source.throw(err).then(map, fail) : Promise.reject(err)),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
