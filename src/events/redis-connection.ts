import { Cluster, Redis } from 'ioredis';
import type { RedisTarget } from './redis-nodes.ts';

export type RedisConnection = Redis | Cluster;
export type { RedisNode, RedisTarget } from './redis-nodes.ts';

export const isCluster = (redis: RedisConnection): redis is Cluster => 'isCluster' in redis && redis.isCluster === true;

// No offline queue, one try per command: while Redis is away a command fails at once instead of
// piling up or being reordered; callers retry. A cluster first follows a few quick redirections.
export function connectRedis(target: RedisTarget, commandTimeout = 5_000): RedisConnection {
  const retry = (attempt: number) => Math.min(attempt * 100, 2_000);
  const perCommand = { maxRetriesPerRequest: 0, commandTimeout, connectTimeout: 5_000 };
  if ('url' in target) return new Redis(target.url, { ...perCommand, enableOfflineQueue: false, retryStrategy: retry });
  return new Cluster(target.clusterNodes, {
    enableOfflineQueue: false,
    clusterRetryStrategy: retry,
    maxRedirections: 8,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    slotsRefreshTimeout: 2_000,
    redisOptions: perCommand,
  });
}

/** Whether the connection is (or becomes) ready within `ms`. */
export function whenReady(redis: RedisConnection, ms: number): Promise<boolean> {
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
