import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../domain/clock.js';
import { ConflictError } from '../domain/errors.js';
import { storeUnavailable } from './store-errors.js';

/**
 * One lock per deployment id: the version check and the write of an update happen while it is
 * held, so that two writers going through the gateway cannot both pass the same check.
 */
export interface WriteLock {
  readonly kind: 'memory' | 'redis';
  /**
   * Runs `work` while holding the lock of `key`. When another holder keeps it longer than the
   * wait bound, nothing runs: ConflictError. With Redis unreachable: UpstreamError (backend
   * `redis`, outcome NOT_SENT).
   */
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface WriteLockOptions {
  clock: Clock;
  logger: Logger;
  /** Longest wait for another write to the same deployment to finish. @default 30000 */
  waitMs?: number;
  /** Redis: how long a lock lives unless renewed; renewed every third of it while the write runs. @default 15000 */
  leaseMs?: number;
  /** Redis: pause between attempts to take a held lock (plus up to as much again of jitter). @default 25 */
  retryMs?: number;
}

export const DEFAULT_LOCK_WAIT_MS = 30_000;
export const DEFAULT_LOCK_LEASE_MS = 15_000;

const busy = (key: string, waitMs: number) =>
  new ConflictError(key, null, null, `Another write to ${key} has been in progress for more than ${waitMs} ms; nothing was sent: re-read it and try again`);

interface Entry {
  held: boolean;
  waiters: Array<() => void>;
}

/** In-process FIFO locks: one gateway instance. */
function createLocalLocks(clock: Clock) {
  const entries = new Map<string, Entry>();
  const releaser = (key: string, entry: Entry) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = entry.waiters.shift();
      if (next) next();
      else {
        entry.held = false;
        entries.delete(key);
      }
    };
  };
  return {
    /** Resolves with the release function once `key` is ours; rejects with ConflictError after `waitMs`. */
    acquire(key: string, waitMs: number): Promise<() => void> {
      let entry = entries.get(key);
      if (!entry) entries.set(key, (entry = { held: false, waiters: [] }));
      const e = entry;
      if (!e.held) {
        e.held = true;
        return Promise.resolve(releaser(key, e));
      }
      return new Promise((resolve, reject) => {
        const grant = () => {
          timer.cancel();
          resolve(releaser(key, e));
        };
        const timer = clock.setTimer(() => {
          const i = e.waiters.indexOf(grant);
          if (i >= 0) e.waiters.splice(i, 1);
          reject(busy(key, waitMs));
        }, waitMs);
        e.waiters.push(grant);
      });
    },
    held: () => entries.size,
  };
}

export function createMemoryWriteLock(options: WriteLockOptions): WriteLock {
  const local = createLocalLocks(options.clock);
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  return {
    kind: 'memory',
    async run(key, work) {
      const release = await local.acquire(key, waitMs);
      try {
        return await work();
      } finally {
        release();
      }
    },
    async close() {},
  };
}

// Released or renewed only by the holder of the token (compare-and-delete, compare-and-expire).
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * Locks shared by every gateway instance on one Redis: SET NX PX with a random owner token,
 * renewed while the write runs, released by its owner only. Writers of this instance queue in
 * memory first, so only one of them at a time asks Redis.
 */
export function createRedisWriteLock(redis: Redis, options: WriteLockOptions): WriteLock {
  const { clock, logger } = options;
  const local = createLocalLocks(clock);
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const leaseMs = options.leaseMs ?? DEFAULT_LOCK_LEASE_MS;
  const retryMs = options.retryMs ?? 25;
  const redisKey = (key: string) => `model-gateway:write-lock:${key}`;
  const call = async <T>(what: string, command: () => Promise<T>): Promise<T> => {
    try {
      return await command();
    } catch (err) {
      throw storeUnavailable(`cannot ${what} (${(err as Error).message})`);
    }
  };

  async function take(key: string, token: string, deadline: number): Promise<void> {
    for (;;) {
      const ok = await call('take the write lock', () => redis.set(redisKey(key), token, 'PX', leaseMs, 'NX'));
      if (ok === 'OK') return;
      const left = deadline - clock.now();
      if (left <= 0) throw busy(key, waitMs);
      await clock.sleep(Math.min(left, retryMs + Math.floor(clock.random() * retryMs)));
    }
  }

  return {
    kind: 'redis',
    async run(key, work) {
      const deadline = clock.now() + waitMs;
      const release = await local.acquire(key, waitMs);
      try {
        const token = randomBytes(16).toString('hex');
        await take(key, token, deadline);
        let timer: TimerHandle | null = null;
        let stopped = false;
        const renew = () => {
          timer = clock.setTimer(() => {
            redis.eval(RENEW, 1, redisKey(key), token, String(leaseMs)).then(
              (r) => {
                if (r !== 1) logger.warn({ key }, 'write lock lost while the write runs (its lease ran out)');
                else if (!stopped) renew();
              },
              (err: Error) => {
                logger.warn({ key, err: { message: err.message } }, 'could not renew the write lock');
                if (!stopped) renew();
              },
            );
          }, Math.max(1, Math.floor(leaseMs / 3)));
        };
        renew();
        try {
          return await work();
        } finally {
          stopped = true;
          (timer as TimerHandle | null)?.cancel();
          // If Redis is gone now, the lease runs out by itself.
          await redis.eval(RELEASE, 1, redisKey(key), token).catch((err: Error) => logger.warn({ key, err: { message: err.message } }, 'could not release the write lock'));
        }
      } finally {
        release();
      }
    },
    async close() {},
  };
}
