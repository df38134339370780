import type { Redis } from 'ioredis';
import { positionOfEntryId } from '../events/stream-keys.ts';
import { isCluster, type RedisConnection } from './redis.ts';

/** A key in which Redis holds a position of this prefix's history: a channel's mark or a mirrored stream's newest entry. */
export interface HeldPosition {
  key: string;
  position: number;
}

async function* scan(node: Redis, match: string): AsyncGenerator<string[]> {
  for await (const keys of node.scanStream({ match, count: 1000 }) as AsyncIterable<string[]>) if (keys.length > 0) yield keys;
}

/**
 * Every position Redis holds for the prefix (marks and mirrored streams' tops), on every master. The
 * prefix matches [A-Za-z0-9_.:-] (config.ts), so it adds no glob to the patterns.
 */
export async function heldPositions(redis: RedisConnection, prefix: string): Promise<HeldPosition[]> {
  const held: HeldPosition[] = [];
  for (const node of isCluster(redis) ? redis.nodes('master') : [redis]) {
    for await (const keys of scan(node, `{${prefix}events:*}:published`)) {
      const values = await Promise.all(keys.map((key) => node.get(key)));
      keys.forEach((key, i) => values[i] !== null && held.push({ key, position: Number(values[i]) }));
    }
    for await (const keys of scan(node, `${prefix}stream:events:*`)) {
      const tops = await Promise.all(keys.map((key) => node.xrevrange(key, '+', '-', 'COUNT', 1)));
      keys.forEach((key, i) => tops[i]![0] && held.push({ key, position: positionOfEntryId(tops[i]![0][0]) }));
    }
  }
  return held;
}
