import { createPubSub } from 'graphql-yoga';
import type { BackendMessage } from './events.js';

export type GatewayPubSub = ReturnType<typeof createPubSub<Record<string, [BackendMessage]>>>;

export interface PubSubHandle {
  pubsub: GatewayPubSub;
  kind: 'memory' | 'redis';
  close(): Promise<void>;
}

/** In-process pubsub: the default when the config names no Redis. */
export function createMemoryPubSub(): PubSubHandle {
  return { pubsub: createPubSub<Record<string, [BackendMessage]>>(), kind: 'memory', close: async () => {} };
}
