import type { Clock, TimerHandle } from '../domain/clock.js';
import { GatewayError, UpstreamError } from '../domain/errors.js';

export interface UpstreamBudgetOptions {
  /** Upstream reads per second per backend, for every caller together. */
  callsPerSecond: number;
  /** Reads that may be made at once after a quiet spell. @default 2 × callsPerSecond */
  burst?: number;
  /** Reads that may wait per backend; beyond it the caller with the most waiting is refused. */
  queue: number;
  /** Part of the burst only the watch hub's polls may use. @default 20% of the burst, at least 1 */
  reserve?: number;
  clock: Clock;
}

/** Who asks: the watch hub's polls, or a caller (an API key, or one request when there is no auth). */
export type BudgetCaller = { poll: true } | { poll?: false; caller: string };

/** A caller's reads of a backend wait in a full queue: it, and nobody else, is refused. */
export class UpstreamBudgetError extends UpstreamError {
  constructor(backend: string, retryAfterMs: number) {
    super({
      code: 'RATE_LIMITED',
      backend,
      message: 'too many reads of this backend are waiting for this caller; retry later',
      retryable: true,
      retryAfterMs,
    });
  }
}

/** One request asked for more upstream reads than `limits.upstreamCallsPerRequest` allows. */
export class RequestBudgetError extends GatewayError {
  constructor(max: number) {
    super('RATE_LIMITED', `This request needs more than ${max} upstream reads (limits.upstreamCallsPerRequest); ask for less at once`, {
      limit: 'upstreamCallsPerRequest',
      max,
    });
  }
}

interface Waiter {
  caller: string | null;
  cost: number;
  resolve(): void;
  reject(err: Error): void;
}

interface Bucket {
  tokens: number;
  last: number;
  /** Polls first, then callers' reads, each in arrival order. */
  waiting: Waiter[];
  timer: TimerHandle | null;
}

/**
 * One rate budget per backend shared by every caller of the gateway (a token bucket), with a
 * reserve only the hub's polls may use, so no caller can starve the watching of status. Reads
 * beyond the rate wait in a bounded queue; when it is full, the caller with the most reads waiting
 * is refused (RATE_LIMITED): the caller that filled it, never another one.
 */
export class UpstreamBudget {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly reserve: number;

  constructor(private readonly options: UpstreamBudgetOptions) {
    this.burst = Math.max(1, options.burst ?? options.callsPerSecond * 2);
    this.reserve = Math.min(this.burst - 1, options.reserve ?? Math.max(1, Math.floor(this.burst * 0.2)));
  }

  /** Resolves when `cost` reads of the backend may be made; rejects with UpstreamBudgetError. */
  acquire(backend: string, who: BudgetCaller, cost = 1): Promise<void> {
    const b = this.bucket(backend);
    this.refill(b);
    const caller = who.poll ? null : who.caller;
    const need = Math.min(cost, this.burst - (caller === null ? 0 : this.reserve));
    const floor = caller === null ? 0 : this.reserve;
    if (b.waiting.length === 0 && b.tokens - need >= floor) {
      b.tokens -= need;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { caller, cost: need, resolve, reject };
      if (b.waiting.length >= this.options.queue) {
        const greedy = this.greediest(b);
        if (caller !== null && (greedy === null || greedy.caller === caller || greedy.count <= this.countOf(b, caller))) {
          reject(new UpstreamBudgetError(backend, this.waitMs(b, need)));
          return;
        }
        if (greedy) {
          const i = b.waiting.findLastIndex((w) => w.caller === greedy.caller);
          const [evicted] = b.waiting.splice(i, 1);
          evicted!.reject(new UpstreamBudgetError(backend, this.waitMs(b, evicted!.cost)));
        }
      }
      if (caller === null) {
        const firstCaller = b.waiting.findIndex((w) => w.caller !== null);
        b.waiting.splice(firstCaller === -1 ? b.waiting.length : firstCaller, 0, waiter);
      } else b.waiting.push(waiter);
      this.arm(backend, b);
    });
  }

  /** Reads waiting per backend (for stats and tests). */
  waiting(): Record<string, number> {
    return Object.fromEntries([...this.buckets].map(([id, b]) => [id, b.waiting.length]));
  }

  close(): void {
    for (const [backend, b] of this.buckets) {
      b.timer?.cancel();
      for (const w of b.waiting.splice(0)) w.reject(new UpstreamBudgetError(backend, 0));
    }
  }

  private bucket(backend: string): Bucket {
    let b = this.buckets.get(backend);
    if (!b) this.buckets.set(backend, (b = { tokens: this.burst, last: this.options.clock.now(), waiting: [], timer: null }));
    return b;
  }

  private refill(b: Bucket) {
    const now = this.options.clock.now();
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.last) * this.options.callsPerSecond) / 1000);
    b.last = now;
  }

  private countOf(b: Bucket, caller: string): number {
    return b.waiting.reduce((n, w) => n + (w.caller === caller ? 1 : 0), 0);
  }

  private greediest(b: Bucket): { caller: string; count: number } | null {
    const counts = new Map<string, number>();
    for (const w of b.waiting) if (w.caller !== null) counts.set(w.caller, (counts.get(w.caller) ?? 0) + 1);
    let best: { caller: string; count: number } | null = null;
    for (const [caller, count] of counts) if (!best || count > best.count) best = { caller, count };
    return best;
  }

  private waitMs(b: Bucket, need: number): number {
    return Math.ceil(((b.waiting.length + need) * 1000) / this.options.callsPerSecond);
  }

  /** Lets waiters through as tokens come, in order; the next wake-up when the head can go. */
  private arm(backend: string, b: Bucket) {
    this.refill(b);
    while (b.waiting.length) {
      const head = b.waiting[0]!;
      const floor = head.caller === null ? 0 : this.reserve;
      if (b.tokens - head.cost < floor) break;
      b.tokens -= head.cost;
      b.waiting.shift();
      head.resolve();
    }
    b.timer?.cancel();
    b.timer = null;
    if (b.waiting.length === 0) return;
    const head = b.waiting[0]!;
    const floor = head.caller === null ? 0 : this.reserve;
    const ms = Math.max(1, Math.ceil(((head.cost + floor - b.tokens) * 1000) / this.options.callsPerSecond));
    b.timer = this.options.clock.setTimer(() => {
      b.timer = null;
      this.arm(backend, b);
    }, ms);
  }
}
