import { positionOfEntryId } from '../events/stream-keys.ts';
import type { RedisConnection } from './redis.ts';
import { scanMasters } from './redis-scan.ts';

/** A key in which Redis holds a position of this prefix's history: a channel's mark or a mirrored stream's newest entry. */
export interface HeldPosition {
  key: string;
  position: number;
}

const MARK_SUFFIX = '}:published';

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
 * What Redis holds of the prefix's history past the store's head (ADR 33). The first call uses a
 * scan of every key on every master (SCAN MATCH: its time grows with the keyspace), begun by
 * `prepare()` so that a standby has it ready; later calls read again only the keys found past the
 * head. The prefix matches [A-Za-z0-9_.:-] (config.ts), so it adds no glob to the patterns.
 */
export function createRedisHistory(redis: RedisConnection, prefix: string) {
  async function scanAll(): Promise<HeldPosition[]> {
    const held: HeldPosition[] = [];
    for (const pattern of [`{${prefix}events:*${MARK_SUFFIX}`, `${prefix}stream:events:*`]) {
      for await (const { node, keys } of scanMasters(redis, pattern)) held.push(...(await positionsIn(node, keys)));
    }
    return held;
  }

  let scanned: Promise<HeldPosition[]> | null = null;
  const scanOnce = () => (scanned ??= scanAll().catch((error: unknown) => {
    scanned = null; // tried again on the next call
    throw error;
  }));
  let found: string[] | null = null;

  return {
    prepare(): void {
      scanOnce().catch(() => {});
    },
    /**
     * The positions past `head()`, or null when Redis did not answer (a failing `head()` throws). The head is
     * read after Redis: it only grows, so a mark a live relay set meanwhile is never past it.
     */
    async pastHead(head: () => Promise<number>): Promise<{ head: number; past: HeldPosition[] } | null> {
      let held: HeldPosition[];
      try {
        held = found === null ? await scanOnce() : await positionsIn(redis, found);
      } catch {
        return null;
      }
      const at = await head();
      const past = held.filter((h) => h.position > at);
      found = past.map((h) => h.key);
      return { head: at, past };
    },
  };
}

export type RedisHistory = ReturnType<typeof createRedisHistory>;
