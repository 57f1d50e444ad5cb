import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import { createMemoryPlanStore, createRedisPlanStore, type PlanStore } from '../plans.js';
import { createUpdates, type Updates } from './updates.js';
import { createMemoryWriteLock, createRedisWriteLock, type WriteLock } from './write-lock.js';

/** The write side of one gateway: its locks, plans and update orchestration. Nothing is shared between gateways. */
export interface AppServices {
  locks: WriteLock;
  plans: PlanStore;
  updates: Updates;
  close(): Promise<void>;
}

export interface AppServicesOptions {
  clock: Clock;
  logger: Logger;
  /** `pubsub.redis`: locks and plans shared by every instance on it. Absent: in memory. */
  redisUrl?: string | null;
  /** Longest wait for another write to the same deployment. @default 30000 */
  lockWaitMs?: number;
  /** Redis lock lease, renewed while a write runs. @default 15000 */
  lockLeaseMs?: number;
}

export async function createAppServices(options: AppServicesOptions): Promise<AppServices> {
  const { clock, logger } = options;
  const lockOptions = { clock, logger, waitMs: options.lockWaitMs, leaseMs: options.lockLeaseMs };
  let redis: Redis | null = null;
  // ioredis is loaded only with pubsub.redis.
  if (options.redisUrl) redis = await (await import('./redis.js')).openRedis(options.redisUrl, logger, 'locks and plans');
  const locks = redis ? createRedisWriteLock(redis, lockOptions) : createMemoryWriteLock(lockOptions);
  const plans = redis ? createRedisPlanStore(redis, { clock }) : createMemoryPlanStore({ clock });
  return {
    locks,
    plans,
    updates: createUpdates({ lock: locks, logger }),
    async close() {
      await plans.close();
      await locks.close();
      redis?.disconnect();
    },
  };
}
