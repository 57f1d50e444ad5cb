/**
 * Who polls a backend. One gateway alone polls every backend it watches; several gateways sharing
 * Redis elect one poller per backend through a lease (poll-ownership-redis.ts) and tell each other
 * what their subscribers watch, so the owner polls for all of them.
 */

/** What one instance's subscribers watch on one backend. */
export interface Watching {
  /** Some watch the whole backend (a filter subscription): the owner lists it. */
  all: boolean;
  ids: string[];
}

export interface PollOwnership {
  /** Whether other instances may poll: false for a gateway alone. */
  readonly shared: boolean;
  /**
   * Takes the lease on polling `backend`, or renews it when this instance holds it, for `ttlMs`.
   * Resolves true while this instance is the owner.
   */
  claim(backend: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (the last watcher here left): another instance takes over at its next claim. */
  release(backend: string): Promise<void>;
  /** Tells the others what this instance watches on the backend, for `ttlMs`; null: nothing. */
  announce(backend: string, watching: Watching | null, ttlMs: number): Promise<void>;
  /** What the other live instances watch on the backend. */
  others(backend: string): Promise<Watching[]>;
  close(): Promise<void>;
}

/** One gateway: it owns every backend it watches, and nobody else watches anything. */
export function createLocalPollOwnership(): PollOwnership {
  return {
    shared: false,
    claim: async () => true,
    release: async () => {},
    announce: async () => {},
    others: async () => [],
    close: async () => {},
  };
}
