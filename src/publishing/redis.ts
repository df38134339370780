import { parseRedisNode, type RedisTarget } from '../events/redis-nodes.ts';
import { connectRedis, type RedisConnection } from '../events/redis-connection.ts';
import type { Logger } from '../observability/logger.ts';

export { isCluster, whenReady, type RedisConnection } from '../events/redis-connection.ts';

/** The service's Redis as configured: REDIS_URL, or REDIS_CLUSTER_NODES when set. */
export interface RedisConfig {
  url: string;
  clusterNodes: string[] | null;
}

export const redisTargetOf = (config: RedisConfig): RedisTarget =>
  config.clusterNodes ? { clusterNodes: config.clusterNodes.map(parseRedisNode) } : { url: config.url };

export const createRedisConnection = (config: RedisConfig): RedisConnection => connectRedis(redisTargetOf(config));

export function createPublisherConnection(config: RedisConfig, logger: Logger): RedisConnection {
  const redis = createRedisConnection(config);
  // Not reachable at start is said once, by listen(), with what to do about it.
  let state: 'starting' | 'up' | 'down' = 'starting';
  redis.on('error', (error: Error) => {
    if (state === 'up') logger.warn({ err: error.message }, 'redis unavailable; appends continue, publication waits');
    state = 'down';
  });
  redis.on('ready', () => {
    if (state === 'down') logger.info('redis reachable again; publication resumes');
    state = 'up';
  });
  return redis;
}
