import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PollOwnership, Watching } from './poll-ownership.js';

const PREFIX = 'model-gateway:poll';
const leaseKey = (backend: string) => `${PREFIX}:lease:${backend}`;
const watchersKey = (backend: string) => `${PREFIX}:watchers:${backend}`;
const watchingKey = (backend: string, instance: string) => `${PREFIX}:watching:${backend}:${instance}`;

// Take the lease when it is free, renew it when it is ours; 1 when we hold it afterwards.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type LeaseClient = Redis & {
  claimLease(key: string, me: string, ttlMs: number): Promise<number>;
  releaseLease(key: string, me: string): Promise<number>;
};

/**
 * Poll ownership through Redis. The lease of a backend is a key holding the owner's instance id
 * with an expiry (Redis's own clock), renewed by the owner at every poll: when the owner dies, the
 * key expires and the next instance to claim it polls. What each instance watches is a key of its
 * own with an expiry, listed in a set per backend, so a dead instance's ids stop being polled.
 */
export async function createRedisPollOwnership(url: string, logger: Logger, instanceId = randomUUID()): Promise<PollOwnership> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true }) as LeaseClient;
  client.defineCommand('claimLease', { numberOfKeys: 1, lua: CLAIM });
  client.defineCommand('releaseLease', { numberOfKeys: 1, lua: RELEASE });
  // Logged without the URL (it may hold a password); ioredis reconnects by itself.
  client.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis connection error (poll ownership)'));
  await client.connect();
  logger.info({ instance: instanceId }, 'poll ownership through Redis: one instance polls each backend for all');
  const held = new Set<string>();
  let failing = false;
  const failed = (err: unknown, what: string) => {
    if (!failing) logger.warn({ err: { message: (err as Error).message } }, `poll ownership: ${what} failed; this instance polls for its own subscribers meanwhile`);
    failing = true;
  };

  return {
    shared: true,
    async claim(backend, ttlMs) {
      // Without Redis no lease can be shared, and no event crosses instances either: each instance
      // then polls for its own subscribers (more upstream calls, but nobody misses a change), at
      // once rather than after ioredis's reconnect attempts.
      if (client.status !== 'ready') {
        failed(new Error(`Redis connection is ${client.status}`), 'claiming the lease');
        held.delete(backend);
        return true;
      }
      try {
        const owns = (await client.claimLease(leaseKey(backend), instanceId, Math.max(1, Math.round(ttlMs)))) === 1;
        failing = false;
        if (owns && !held.has(backend)) logger.info({ backend, instance: instanceId }, 'this instance now polls the backend for the cluster');
        if (owns) held.add(backend);
        else held.delete(backend);
        return owns;
      } catch (err) {
        failed(err, 'claiming the lease');
        held.delete(backend);
        return true;
      }
    },
    async release(backend) {
      held.delete(backend);
      await client.releaseLease(leaseKey(backend), instanceId).catch((err) => failed(err, 'releasing the lease'));
    },
    async announce(backend, watching, ttlMs) {
      if (client.status !== 'ready') return;
      try {
        if (watching === null) {
          await client.multi().del(watchingKey(backend, instanceId)).srem(watchersKey(backend), instanceId).exec();
          return;
        }
        await client
          .multi()
          .set(watchingKey(backend, instanceId), JSON.stringify(watching), 'PX', Math.max(1, Math.round(ttlMs)))
          .sadd(watchersKey(backend), instanceId)
          .exec();
      } catch (err) {
        failed(err, 'announcing the watched ids');
      }
    },
    async others(backend) {
      if (client.status !== 'ready') return [];
      try {
        const instances = (await client.smembers(watchersKey(backend))).filter((i) => i !== instanceId);
        if (instances.length === 0) return [];
        const values = await client.mget(instances.map((i) => watchingKey(backend, i)));
        const gone = instances.filter((_i, n) => values[n] === null);
        if (gone.length) await client.srem(watchersKey(backend), ...gone);
        return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Watching);
      } catch (err) {
        failed(err, 'reading the ids other instances watch');
        return [];
      }
    },
    async close() {
      await Promise.allSettled(
        [...held].map((b) => client.releaseLease(leaseKey(b), instanceId)),
      );
      client.disconnect();
    },
  };
}
