import { Cluster, Redis } from 'ioredis';
import { parseRedisNode } from '../events/redis-nodes.ts';
import type { Logger } from '../observability/logger.ts';

export type RedisConnection = Redis | Cluster;

export interface RedisTarget {
  url: string;
  /** When set, `url` is ignored (REDIS_CLUSTER_NODES). */
  clusterNodes: string[] | null;
}

export const isCluster = (redis: RedisConnection): redis is Cluster => 'isCluster' in redis && redis.isCluster === true;

// No offline queue and one try per command: while Redis is away a command fails at once
// instead of piling up in memory or being reordered by ioredis; callers own their retries.
const FAIL_FAST = { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 5_000, connectTimeout: 5_000 } as const;
const retry = (attempt: number) => Math.min(attempt * 200, 2_000);

export function createRedisConnection(target: RedisTarget): RedisConnection {
  if (!target.clusterNodes) return new Redis(target.url, { ...FAIL_FAST, retryStrategy: retry });
  return new Cluster(target.clusterNodes.map(parseRedisNode), {
    enableOfflineQueue: false,
    clusterRetryStrategy: retry,
    // A failover or slot move answers MOVED/TRYAGAIN/CLUSTERDOWN briefly: a few quick redirections, then the caller's retry.
    maxRedirections: 8,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    slotsRefreshTimeout: 2_000,
    redisOptions: { maxRetriesPerRequest: 0, commandTimeout: 5_000, connectTimeout: 5_000 },
  });
}

export function createPublisherConnection(target: RedisTarget, logger: Logger): RedisConnection {
  const redis = createRedisConnection(target);
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error.message }, 'redis unavailable; appends continue, publication waits');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis reachable again; publication resumes');
    down = false;
  });
  return redis;
}

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
