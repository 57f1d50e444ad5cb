/**
 * Reading a subscription's events without a promise per event and per layer. One change goes to
 * thousands of subscribers, and each subscriber's events pass through a stack of iterators (its
 * feed, the shared execution, the drain ender, the envelop hooks of every plugin). Read the usual
 * way, every layer keeps a pending promise between events and makes a new one per event: paid
 * thousands of times, in CPU at each event and in memory held between them.
 *
 * A reader that can (the SSE lane) puts a PullChannel in the operation's context under PULL. A
 * source that can (a subscriber's feed, under the shared execution) attaches to it, tells it when
 * a result is ready, and the reader calls next() only then: every layer finds its result there at
 * once and hands it on as a Settled thenable, whose callbacks run straight away. Nothing waits
 * between events. The layers are the same and run the same code (every plugin's hooks run for every
 * event of every subscriber); other readers and sources are untouched. next() stays the iterator
 * protocol, correct whatever it returns; a Settled only saves the waiting.
 */

/** The key of the PullChannel in an operation's context. */
export const PULL = Symbol.for('model-gateway.pull');

/** Told by a Pullable source that it has a result ready. Must not throw. */
export interface PullReader {
  wake(): void;
}

/** A source that can be read without waiting. */
export interface Pullable<T> {
  /** The next result if there is one now (an event, or the end); null when there is none yet. Throws the stream's error. */
  take(): IteratorResult<T> | null;
  /** Whether take() would return a result. */
  ready(): boolean;
  /** Told when a result becomes ready while no next() waits for it. */
  reader: PullReader | null;
}

/** What a reader puts in the context: a source that can be pulled attaches to it. */
export interface PullChannel extends PullReader {
  attach(source: Pullable<unknown>): void;
}

export function isPullable(value: unknown): value is Pullable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Pullable<unknown>).take === 'function' && 'reader' in value;
}

/** The reader's channel in an operation's context, if it gave one. */
export function pullChannelOf(context: unknown): PullChannel | null {
  return ((context as { [PULL]?: PullChannel } | null | undefined)?.[PULL] as PullChannel | undefined) ?? null;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';

/**
 * A result already there, as a thenable that calls back at once instead of in a microtask (as the
 * promise helpers of envelop and Yoga do for values that are not promises). A callback that
 * returns a promise gives that promise; one that throws gives a rejected Settled.
 */
export class Settled<T> implements PromiseLike<T> {
  constructor(
    readonly value: T,
    readonly rejected = false,
  ) {}

  then<A = T, B = never>(onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    const callback = this.rejected ? onRejected : onFulfilled;
    // Nothing to map: this settled value is the same result under the type the caller asked for.
    if (!callback) return this as unknown as PromiseLike<A | B>;
    try {
      const out = callback(this.value);
      return isThenable(out) ? (out as PromiseLike<A | B>) : new Settled<A | B>(out as A | B);
    } catch (err) {
      return new Settled<A | B>(err as A | B, true);
    }
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): PromiseLike<T | B> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): PromiseLike<T> {
    if (!onFinally) return this;
    try {
      const out = onFinally();
      return isThenable(out) ? out.then(() => (this.rejected ? Promise.reject(this.value) : this.value)) : this;
    } catch (err) {
      return new Settled<T>(err as T, true);
    }
  }
}
