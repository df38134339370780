import type { Redis } from 'ioredis';
import { isCluster, type RedisConnection, whenReady } from './redis.ts';

/**
 * The keys matching `match` on every master, a batch at a time with the node holding them. SCAN
 * walks the whole keyspace whatever it matches, so its time grows with every key in Redis.
 */
export async function* scanMasters(redis: RedisConnection, match: string, options: { type?: string } = {}): AsyncGenerator<{ node: Redis; keys: string[] }> {
  // A cluster client knows its masters only once connected: before, there would be no node to scan.
  if (isCluster(redis) && !(await whenReady(redis, 5_000))) throw new Error('the Redis Cluster is not ready');
  for (const node of isCluster(redis) ? redis.nodes('master') : [redis]) {
    for await (const keys of node.scanStream({ match, count: 10_000, ...options }) as AsyncIterable<string[]>) if (keys.length > 0) yield { node, keys };
  }
}
