import type { Redis } from 'ioredis';
import { eventsChannel, publishedMarkKey } from '../events/channels.ts';
import type { EventRecord } from '../store/event-record.ts';

// Publishes each message whose position is above the newest one recorded for its channel, and
// records it, in one atomic step per message. KEYS: one mark key per channel of the call;
// ARGV: per message, the index of its key, its position, its channel and its body.
const PUBLISH_ABOVE_MARK = `
local marks = {}
for i, key in ipairs(KEYS) do marks[i] = tonumber(redis.call('GET', key) or '0') end
local published = 0
for m = 1, #ARGV, 4 do
  local k = tonumber(ARGV[m])
  local position = tonumber(ARGV[m + 1])
  if position > marks[k] then
    redis.call('PUBLISH', ARGV[m + 2], ARGV[m + 3])
    redis.call('SET', KEYS[k], ARGV[m + 1])
    marks[k] = position
    published = published + 1
  end
end
return published`;

type FencedRedis = Redis & { publishAboveMark(args: (string | number)[]): Promise<number> };

/**
 * The relay's publication: events in position order, each on events:<aggregate_type>. Redis
 * itself refuses a message at or below the newest position already published on its channel
 * (a mark key per channel), so a relay whose commands are executed late (Redis paused, a lease
 * lapsed meanwhile, another relay took over) or that re-publishes from an older checkpoint
 * never sends an aggregate's event after a later one of the same aggregate, duplicates
 * included, for as long as Redis keeps its keys.
 */
export function createPublisher(redis: Redis, channelPrefix: string) {
  const fenced = redis as FencedRedis;
  if (!('publishAboveMark' in redis)) redis.defineCommand('publishAboveMark', { lua: PUBLISH_ABOVE_MARK });
  return {
    /** Resolves once Redis has executed the whole batch; rejects if it did not answer. */
    async publish(batch: EventRecord[]): Promise<void> {
      if (batch.length === 0) return;
      const keys: string[] = [];
      const keyIndex = new Map<string, number>();
      const args: (string | number)[] = [];
      for (const e of batch) {
        let k = keyIndex.get(e.aggregateType);
        if (k === undefined) {
          k = keys.push(publishedMarkKey(channelPrefix, e.aggregateType));
          keyIndex.set(e.aggregateType, k);
        }
        args.push(k, e.position, eventsChannel(channelPrefix, e.aggregateType), e.json);
      }
      await fenced.publishAboveMark([keys.length, ...keys, ...args]);
    },
  };
}

export type Publisher = ReturnType<typeof createPublisher>;

/**
 * Plain PUBLISHes in one pipeline, in order (replays, which re-publish on purpose). Returns how
 * many Redis acknowledged before the first failure.
 */
export async function publishMessages(redis: Redis, messages: { channel: string; body: string }[]): Promise<number> {
  const pipeline = redis.pipeline();
  for (const m of messages) pipeline.publish(m.channel, m.body);
  const results = (await pipeline.exec()) ?? [];
  const failed = results.findIndex(([err]) => err);
  return failed < 0 ? messages.length : failed;
}
