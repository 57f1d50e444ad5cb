import { createPubSub } from 'graphql-yoga';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { eventCodec, type Observation } from './events.js';
import type { PubSubHandle } from './pubsub.js';

/** Pubsub through Redis, so that subscribers on any gateway instance see every instance's events. */
export async function createRedisPubSub(url: string, logger: Logger): Promise<PubSubHandle> {
  const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true };
  const publishClient = new Redis(url, options);
  const subscribeClient = new Redis(url, options);
  for (const c of [publishClient, subscribeClient]) {
    // ioredis reconnects by itself; log without the URL (it may hold a password).
    c.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  }
  await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  const eventTarget = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient, serializer: eventCodec });
  return {
    pubsub: createPubSub<Record<string, [Observation]>>({ eventTarget: eventTarget as never }),
    kind: 'redis',
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
