import type { Clock } from '../domain/clock.js';

export type CircuitStateName = 'closed' | 'open' | 'half-open';

/** Thrown instead of calling while the circuit is open. */
export class BrokenCircuitError extends Error {
  constructor() {
    super('Execution prevented because the circuit breaker is open');
    this.name = 'BrokenCircuitError';
  }
}

export interface BreakerOptions {
  clock: Clock;
  /** Failures in a row that open the circuit. */
  threshold: number;
  /** How long an open circuit fails fast before one call may probe the backend (clock time). */
  halfOpenAfterMs: number;
  /** Whether an error counts as the backend failing; any other error passes through and counts for nothing. */
  isFailure: (err: unknown) => boolean;
  onStateChange?: (state: CircuitStateName) => void;
}

/**
 * A consecutive-failures circuit breaker on the injected clock (cockatiel's ConsecutiveBreaker
 * with its circuitBreaker policy behaves the same, but reads the machine's time). Closed: calls
 * go through; `threshold` failures in a row open it. Open: calls fail fast with
 * BrokenCircuitError until `halfOpenAfterMs` has passed on the clock. Half-open: one call probes
 * the backend while the others wait for its outcome; success (or an error that is no failure)
 * closes the circuit, a failure opens it again for another `halfOpenAfterMs`.
 */
export class CircuitBreaker {
  private current: CircuitStateName = 'closed';
  private failures = 0;
  private openedAt = 0;
  /** The half-open probe's outcome, which the calls made meanwhile wait for. */
  private probe: Promise<unknown> | null = null;

  constructor(private readonly options: BreakerOptions) {}

  get state(): CircuitStateName {
    return this.current;
  }

  execute<T>(fn: () => Promise<T>): Promise<T> {
    // The common case (closed) adds one promise to the call, not an async function's two.
    return this.current === 'closed' ? this.closedCall(fn) : this.notClosed(fn);
  }

  private async notClosed<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.current === 'closed') return this.closedCall(fn);
      if (this.current === 'half-open') {
        await this.probe!.catch(() => undefined);
        continue;
      }
      if (this.options.clock.now() - this.openedAt < this.options.halfOpenAfterMs) throw new BrokenCircuitError();
      this.set('half-open');
      const probe = this.probeCall(fn);
      this.probe = probe;
      return probe;
    }
  }

  private closedCall<T>(fn: () => Promise<T>): Promise<T> {
    let call: Promise<T>;
    try {
      call = fn();
    } catch (err) {
      call = Promise.reject(err);
    }
    return call.then(
      (value) => {
        this.failures = 0;
        return value;
      },
      (err: unknown) => {
        if (this.options.isFailure(err) && ++this.failures >= this.options.threshold && this.current === 'closed') this.open();
        throw err;
      },
    );
  }

  private async probeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const value = await fn();
      this.close();
      return value;
    } catch (err) {
      if (this.options.isFailure(err)) this.open();
      else this.close();
      throw err;
    } finally {
      this.probe = null;
    }
  }

  private open() {
    this.openedAt = this.options.clock.now();
    this.set('open');
  }

  private close() {
    this.failures = 0;
    this.set('closed');
  }

  private set(state: CircuitStateName) {
    if (this.current === state) return;
    this.current = state;
    this.options.onStateChange?.(state);
  }
}
