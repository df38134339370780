import { eventsStreamKey, isAggregateType } from '../events/stream-keys.ts';
import type { RedisConnection } from '../publishing/redis.ts';
import { scanMasters } from '../publishing/redis-scan.ts';

const MAX_STREAM_TYPES = 10_000;
const REUSE_FACTOR = 20;
const MIN_REUSE_MS = 1_000;

/**
 * The aggregate types that have a stream under the prefix, groups on it or not, whether or not the
 * store holds events of them (a consumer creates its group with MKSTREAM). A scan walks every key
 * on every master, so its answer is reused for 20 times as long as it took (at least 1 s): scans
 * take at most about a twentieth of Redis's time, however large its keyspace. At most
 * MAX_STREAM_TYPES; a failed scan answers the last one's types.
 */
export function createStreamTypes(redis: RedisConnection, channelPrefix: string) {
  const head = eventsStreamKey(channelPrefix, '');
  let last: { types: string[]; until: number } | null = null;
  let running: Promise<string[]> | null = null;

  async function scan(): Promise<string[]> {
    const started = Date.now();
    const types = new Set<string>();
    for await (const { keys } of scanMasters(redis, `${head}*`, { type: 'stream' })) {
      for (const key of keys) if (isAggregateType(key.slice(head.length))) types.add(key.slice(head.length));
      if (types.size >= MAX_STREAM_TYPES) break;
    }
    const found = [...types].slice(0, MAX_STREAM_TYPES);
    last = { types: found, until: Date.now() + Math.max(MIN_REUSE_MS, REUSE_FACTOR * (Date.now() - started)) };
    return found;
  }

  return (): Promise<string[]> => {
    if (last && Date.now() < last.until) return Promise.resolve(last.types);
    running ??= scan().catch(() => last?.types ?? []).finally(() => (running = null));
    return running;
  };
}
