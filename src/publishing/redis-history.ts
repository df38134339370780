import type { Redis } from 'ioredis';
import { positionOfEntryId } from '../events/stream-keys.ts';
import { isCluster, type RedisConnection, whenReady } from './redis.ts';

/** A key in which Redis holds a position of this prefix's history: a channel's mark or a mirrored stream's newest entry. */
export interface HeldPosition {
  key: string;
  position: number;
}

const MARK_SUFFIX = '}:published';

async function* scan(node: Redis, match: string): AsyncGenerator<string[]> {
  for await (const keys of node.scanStream({ match, count: 10_000 }) as AsyncIterable<string[]>) if (keys.length > 0) yield keys;
}

/** The positions the given marks and streams hold now (a key that is gone holds none). */
async function positionsIn(redis: RedisConnection, keys: string[]): Promise<HeldPosition[]> {
  const found = await Promise.all(
    keys.map(async (key): Promise<HeldPosition | null> => {
      if (key.endsWith(MARK_SUFFIX)) {
        const mark = await redis.get(key);
        return mark === null ? null : { key, position: Number(mark) };
      }
      const [top] = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
      return top ? { key, position: positionOfEntryId(top[0]) } : null;
    }),
  );
  return found.filter((h) => h !== null);
}

/**
 * What Redis holds of the prefix's history. `scan()` looks at every key on every master (SCAN
 * MATCH: its time grows with the keyspace, ADR 33); `recheck()` reads again only what a scan found.
 * The prefix matches [A-Za-z0-9_.:-] (config.ts), so it adds no glob to the patterns.
 */
export function createRedisHistory(redis: RedisConnection, prefix: string) {
  return {
    async scan(): Promise<HeldPosition[]> {
      // A cluster client knows its masters only once connected: before, there would be no node to scan.
      if (isCluster(redis) && !(await whenReady(redis, 5_000))) throw new Error('the Redis Cluster is not ready');
      const held: HeldPosition[] = [];
      for (const node of isCluster(redis) ? redis.nodes('master') : [redis]) {
        for (const pattern of [`{${prefix}events:*${MARK_SUFFIX}`, `${prefix}stream:events:*`]) {
          for await (const keys of scan(node, pattern)) held.push(...(await positionsIn(node, keys)));
        }
      }
      return held;
    },
    recheck: (keys: string[]): Promise<HeldPosition[]> => positionsIn(redis, keys),
  };
}

export type RedisHistory = ReturnType<typeof createRedisHistory>;
