import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';

/**
 * The publishing connection. No offline queue and one try per command: while Redis is away a
 * publish fails at once instead of piling up in memory or being reordered by ioredis; the
 * relay owns retries and restarts from its checkpoint (at least once, in order).
 */
export function createPublisherConnection(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 5_000,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  });
  let down = false;
  redis.on('error', (error) => {
    if (!down) logger.warn({ err: error.message }, 'redis unavailable; appends continue, publication waits');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis reachable again; publication resumes');
    down = false;
  });
  return redis;
}

/** Whether the connection is (or becomes) ready within `ms`. */
export function whenReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  // Not events.once(): it rejects on the first 'error', and a refused connection is one.
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), ms);
    const onReady = () => done(true);
    function done(value: boolean) {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(value);
    }
    redis.once('ready', onReady);
  });
}
