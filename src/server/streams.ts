import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/** Shared between the gateway (which owns the streams) and the server (which drains them). */
export interface StreamEnder {
  ended: boolean;
  listeners: Set<() => void>;
}

/**
 * Every subscription's events pass through an iterator that finishes when the streams are ended:
 * SSE then writes `complete`, graphql-ws sends `complete` for the operation. One hook, so every
 * transport and lane drains alike.
 */
export function useEndableStreams(streams: StreamEnder): Plugin {
  return {
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          setResult(endable(result, streams));
        },
      };
    },
  };
}

function endable<T>(source: AsyncIterable<T>, streams: StreamEnder): AsyncIterableIterator<T> {
  const inner = source[Symbol.asyncIterator]();
  let finished = false;
  let wake: ((r: IteratorResult<T>) => void) | null = null;
  const end = () => {
    if (finished) return;
    finished = true;
    streams.listeners.delete(end);
    void inner.return?.();
    wake?.({ value: undefined, done: true });
  };
  if (streams.ended) end();
  else streams.listeners.add(end);
  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        wake = resolve;
        inner.next().then(
          (r) => {
            wake = null;
            if (r.done) end();
            resolve(finished && !r.done ? { value: undefined, done: true } : r);
          },
          (err) => {
            wake = null;
            end();
            reject(err);
          },
        );
      });
    },
    return() {
      end();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err) {
      end();
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
