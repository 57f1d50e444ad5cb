import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError } from '../config.js';

/** host:port of a Redis URL: what errors and logs may name (never the password). */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || '127.0.0.1'}:${u.port || '6379'}`;
  } catch {
    return 'an unparsable address';
  }
}

/**
 * A connected Redis client for `pubsub.redis`. Commands fail at once while the connection is down
 * (no offline queue), so a lost store answers a typed error instead of a late one; ioredis keeps
 * reconnecting by itself. Unreachable at start: a ConfigError naming pubsub.redis and the address.
 */
export async function openRedis(url: string, logger: Logger, role: string, options: RedisOptions = {}): Promise<Redis> {
  const address = redisAddress(url);
  let lastError: string | null = null;
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5_000, ...options });
  let warned = false;
  client.on('error', (err: Error) => {
    lastError = (err as Error & { code?: string }).code ?? err.message;
    // One line per outage, not one per reconnect attempt; the URL may hold a password.
    if (!warned) logger.warn({ role, address, err: { message: err.message } }, 'redis connection error');
    warned = true;
  });
  client.on('ready', () => {
    if (warned) logger.info({ role, address }, 'redis connection restored');
    warned = false;
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    const why = lastError ?? (err as Error).message;
    throw new ConfigError(`pubsub.redis: cannot connect to Redis at ${address} (${why})`);
  }
  return client;
}
