import { randomBytes } from 'node:crypto';
import { createPubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openRedis } from '../app/redis.js';
import { eventCodec, type Observation } from './events.js';
import type { PubSubHandle } from './pubsub.js';

type Listener = (event: CustomEvent) => void;

/**
 * An event target over Redis that never leaves its own subscribers waiting on Redis: an event is
 * delivered here at once and published for the other instances, which drop nothing and receive it
 * once; this instance drops its own echo. While Redis is down, publishing fails with a warning
 * (never an unhandled rejection) and subscriptions go on with this instance's events; channels are
 * subscribed again whenever the connection is ready again.
 */
export function createResilientRedisEventTarget(publishClient: Redis, subscribeClient: Redis, logger: Logger) {
  const origin = randomBytes(8).toString('hex');
  const listeners = new Map<string, Set<Listener>>();
  let publishWarned = false;

  const deliver = (topic: string, detail: unknown) => {
    const set = listeners.get(topic);
    if (!set) return;
    const event = new CustomEvent(topic, { detail });
    for (const l of [...set]) l(event);
  };

  subscribeClient.on('message', (channel: string, message: string) => {
    let parsed: { o?: unknown; d?: unknown };
    try {
      parsed = eventCodec.parse(message) as { o?: unknown; d?: unknown };
    } catch {
      logger.warn({ channel }, 'dropped a pubsub message that is not JSON');
      return;
    }
    if (!parsed || typeof parsed !== 'object' || parsed.o === origin) return;
    // An instance of an earlier release publishes the bare observation.
    deliver(channel, 'o' in parsed && 'd' in parsed ? parsed.d : parsed);
  });
  const subscribe = (topic: string) =>
    subscribeClient.subscribe(topic).catch((err: Error) => logger.warn({ topic, err: { message: err.message } }, 'redis subscribe failed; retried when the connection is back'));
  subscribeClient.on('ready', () => {
    for (const topic of listeners.keys()) void subscribe(topic);
  });
  publishClient.on('ready', () => {
    publishWarned = false;
  });

  return {
    addEventListener(topic: string, callback: Listener | { handleEvent: Listener } | null) {
      if (!callback) return;
      const fn = typeof callback === 'function' ? callback : callback.handleEvent;
      let set = listeners.get(topic);
      if (!set) {
        listeners.set(topic, (set = new Set()));
        void subscribe(topic);
      }
      set.add(fn);
    },
    removeEventListener(topic: string, callback: Listener | { handleEvent: Listener } | null) {
      if (!callback) return;
      const fn = typeof callback === 'function' ? callback : callback.handleEvent;
      const set = listeners.get(topic);
      if (!set) return;
      set.delete(fn);
      if (set.size) return;
      listeners.delete(topic);
      subscribeClient.unsubscribe(topic).catch(() => {});
    },
    dispatchEvent(event: CustomEvent) {
      deliver(event.type, event.detail);
      publishClient.publish(event.type, eventCodec.stringify({ o: origin, d: event.detail })).catch((err: Error) => {
        if (!publishWarned) logger.warn({ err: { message: err.message } }, 'publishing to redis failed; events reach this instance\u2019s subscribers only until it is back');
        publishWarned = true;
      });
      return true;
    },
  };
}

/** Pubsub through Redis, so that subscribers on any gateway instance see every instance's events. */
export async function createRedisPubSub(url: string, logger: Logger): Promise<PubSubHandle> {
  const publishClient = await openRedis(url, logger, 'pubsub publish');
  let subscribeClient: Redis;
  try {
    subscribeClient = await openRedis(url, logger, 'pubsub subscribe');
  } catch (err) {
    publishClient.disconnect();
    throw err;
  }
  const eventTarget = createResilientRedisEventTarget(publishClient, subscribeClient, logger);
  return {
    pubsub: createPubSub<Record<string, [Observation]>>({ eventTarget }),
    kind: 'redis',
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
