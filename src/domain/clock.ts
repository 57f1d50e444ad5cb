/** Time as adapters, the hub and simulators see it; tests pass a manual clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface ManualClock extends Clock {
  /** Moves time forward and tells listeners (simulators recompute status lazily from now()). */
  advance(ms: number): void;
  set(epochMs: number): void;
  onChange(listener: () => void): () => void;
}

export function createManualClock(start = Date.parse('2026-01-15T09:00:00Z')): ManualClock {
  let t = start;
  const listeners = new Set<() => void>();
  const fire = () => {
    for (const l of listeners) l();
  };
  return {
    now: () => t,
    advance(ms) {
      t += ms;
      fire();
    },
    set(epochMs) {
      t = epochMs;
      fire();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
