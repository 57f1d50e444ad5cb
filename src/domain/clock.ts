/**
 * Time as the gateway, adapters, the hub and simulators see it: now, timers, delays and
 * randomness. Production code asks an injected Clock; tests pass a manual clock and move time
 * themselves, so a race window can be opened on purpose instead of hoped for.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Runs `fn` once after `ms`. A pending timer never keeps the process alive on its own. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Resolves after `ms`; rejects with the signal's reason when it is aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

function sleepOn(clock: Pick<Clock, 'setTimer'>, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// The one place that reads the machine's time, timers and randomness.
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
  random: () => Math.random(),
};

export interface ManualClock extends Clock {
  /** Moves time forward, firing the timers that fall due in time order, and tells listeners. */
  advance(ms: number): void;
  set(epochMs: number): void;
  onChange(listener: () => void): () => void;
  /** Timers not yet fired or cancelled. */
  pendingTimers(): number;
  /** When the earliest pending timer falls due (clock time), or null when none is pending. */
  nextTimerAt(): number | null;
}

/**
 * A clock that moves only when told. `random()` is a seeded sequence (mulberry32), so a test's
 * jitter is the same on every run.
 */
export function createManualClock(start = Date.parse('2026-01-15T09:00:00Z'), seed = 1): ManualClock {
  let t = start;
  let nextId = 0;
  let state = seed >>> 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const listeners = new Set<() => void>();
  const fire = () => {
    for (const l of listeners) l();
  };
  const runDue = (until: number) => {
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of timers) if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      timers.delete(due[0]);
      t = Math.max(t, due[1].at);
      due[1].fn();
    }
    t = Math.max(t, until);
  };
  const clock: ManualClock = {
    now: () => t,
    setTimer(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: t + Math.max(0, ms), fn });
      return { cancel: () => void timers.delete(id) };
    },
    sleep(ms, signal) {
      return sleepOn(clock, ms, signal);
    },
    random() {
      state = (state + 0x6d2b79f5) >>> 0;
      let x = state;
      x = Math.imul(x ^ (x >>> 15), x | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    },
    advance(ms) {
      runDue(t + ms);
      fire();
    },
    set(epochMs) {
      if (epochMs >= t) runDue(epochMs);
      else t = epochMs;
      fire();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    pendingTimers: () => timers.size,
    nextTimerAt() {
      let at: number | null = null;
      for (const timer of timers.values()) if (at === null || timer.at < at) at = timer.at;
      return at;
    },
  };
  return clock;
}
