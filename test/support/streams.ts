import { Redis } from 'ioredis';
import type postgres from 'postgres';
import { eventsStreamKey } from '../../src/events/stream-keys.ts';
import { testRedisUrl } from './env.ts';

export interface StreamEntry {
  id: string;
  position: number;
  json: string;
}

/** Every entry of a type's mirrored stream, oldest first. */
export async function streamEntries(redis: Redis, prefix: string, aggregateType: string): Promise<StreamEntry[]> {
  const entries = await redis.xrange(eventsStreamKey(prefix, aggregateType), '-', '+');
  return entries.map(([id, fields]) => ({ id, position: Number(id.split('-')[0]), json: fields[fields.indexOf('event') + 1]! }));
}

/** The canonical JSON of every stored event of a type, in position order. */
export async function storedOfType(sql: postgres.Sql, aggregateType: string): Promise<{ position: number; json: string }[]> {
  const rows = await sql<{ position: string; json: string }[]>`
    select position, event_json(e) as json from events e where aggregate_type = ${aggregateType} order by position`;
  return rows.map((r) => ({ position: Number(r.position), json: r.json }));
}

/**
 * Whether the stream holds the type's newest events without a hole, each as `<position>-0`
 * with the stored bytes, ending at the type's newest event.
 */
export async function mirrorsNewest(redis: Redis, sql: postgres.Sql, prefix: string, aggregateType: string): Promise<boolean> {
  const [entries, stored] = await Promise.all([streamEntries(redis, prefix, aggregateType), storedOfType(sql, aggregateType)]);
  if (entries.length === 0 || entries.length > stored.length) return false;
  const tail = stored.slice(stored.length - entries.length);
  return entries.every((e, i) => e.id === `${tail[i]!.position}-0` && e.json === tail[i]!.json);
}

/** Deletes the keys a test left on the shared Redis under its prefix (streams keep memory). */
export async function deleteKeys(prefix: string, redisUrl = testRedisUrl): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
