import type { Plugin } from 'graphql-yoga';
import { Settled } from '../app/pull.js';

/** Shared between the gateway (which owns the streams) and the server (which drains them). */
export interface StreamEnder {
  ended: boolean;
  /** The streams open now. */
  open: Set<{ end(): void }>;
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
          if (!result || typeof result !== 'object' || !(Symbol.asyncIterator in result)) return;
          // Yoga's setResult is typed for its own result union; an Endable is the same async iterator, made endable on drain.
          setResult(new Endable((result as AsyncIterable<unknown>)[Symbol.asyncIterator](), streams) as never);
        },
      };
    },
  };
}

const DONE: IteratorResult<never> = { value: undefined, done: true };

/** A class rather than closures: there is one per subscriber for as long as it stays. */
class Endable<T> implements AsyncIterableIterator<T> {
  private finished = false;
  /** Resolves the next() under way, if any, when the stream is ended before its result comes. */
  private wake: ((r: IteratorResult<T>) => void) | null = null;

  constructor(
    private readonly inner: AsyncIterator<T>,
    private readonly streams: StreamEnder,
  ) {
    if (streams.ended) this.end();
    else streams.open.add(this);
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.streams.open.delete(this);
    void this.inner.return?.();
    this.wake?.(DONE);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.finished) return Promise.resolve(DONE);
    const p = this.inner.next();
    // A result already there (src/app/pull.ts): nothing to cut short, handed on as it is.
    if (p instanceof Settled) {
      if (p.rejected || (p.value as IteratorResult<T>).done) this.end();
      return p;
    }
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.wake = resolve;
      p.then(
        (r) => {
          this.wake = null;
          if (r.done) this.end();
          resolve(this.finished && !r.done ? DONE : r);
        },
        (err) => {
          this.wake = null;
          this.end();
          reject(err);
        },
      );
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve(DONE);
  }

  throw(err: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
