import type { Redis } from 'ioredis';
import { eventsChannel, publishedMarkKey } from '../events/channels.ts';
import { eventsStreamKey } from '../events/stream-keys.ts';
import type { EventRecord } from '../store/event-record.ts';
import { PUBLISH_ABOVE_MARK, PUBLISH_AND_MIRROR } from './publish-scripts.ts';

/** What the relay publishes through: events in position order, resolved once Redis has them. */
export interface Publisher {
  publish(batch: EventRecord[]): Promise<void>;
  /** The relay took the lease: what was learnt about Redis before may be stale. */
  reset?(): void;
}

/** A mirrored stream after a publish: in sync (its entries were added), or behind at `top`. */
export type MirrorOutcome = { aggregateType: string; inSync: true } | { aggregateType: string; inSync: false; top: number };

type ScriptedRedis = Redis & {
  publishAboveMark(args: (string | number)[]): Promise<number>;
  publishAndMirror(args: (string | number)[]): Promise<number[]>;
};

function scripted(redis: Redis): ScriptedRedis {
  if (!('publishAboveMark' in redis)) redis.defineCommand('publishAboveMark', { lua: PUBLISH_ABOVE_MARK });
  if (!('publishAndMirror' in redis)) redis.defineCommand('publishAndMirror', { lua: PUBLISH_AND_MIRROR });
  return redis as ScriptedRedis;
}

/**
 * The relay's publication: events in position order, each on events:<aggregate_type>. Redis
 * itself refuses a message at or below the newest position already published on its channel
 * (a mark key per channel), so a relay whose commands are executed late (Redis paused, a lease
 * lapsed meanwhile, another relay took over) or that re-publishes from an older checkpoint
 * never sends an aggregate's event after a later one of the same aggregate, duplicates
 * included, for as long as Redis keeps its keys.
 */
export function createPublisher(redis: Redis, channelPrefix: string) {
  const fenced = scripted(redis);
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

    /**
     * The publication above plus, in the same script, each event appended to its type's
     * stream with id `<position>-0` (SPEC §9). `expected` holds, per type of the batch, the
     * newest position its stream must already hold; a stream found below that (Redis lost it,
     * or failed over to a replica that was behind) gets none of the batch's entries and is
     * reported behind, so the caller refills it and the stream never has a hole. An entry at or
     * below a stream's top is already there: skipped, as Redis would refuse it.
     *
     * One script call per batch fits a single Redis. In a Redis Cluster a type's mark key and
     * its stream live in different slots: the same script then runs once per key, with the
     * mark or the stream index of every message set to 0.
     */
    async publishAndMirror(batch: EventRecord[], expected: ReadonlyMap<string, number>, maxlen: number): Promise<MirrorOutcome[]> {
      if (batch.length === 0) return [];
      const marks: string[] = [];
      const streams: string[] = [];
      const types: string[] = [];
      const index = new Map<string, number>();
      const messages: (string | number)[] = [];
      for (const e of batch) {
        let k = index.get(e.aggregateType);
        if (k === undefined) {
          k = marks.push(publishedMarkKey(channelPrefix, e.aggregateType));
          streams.push(eventsStreamKey(channelPrefix, e.aggregateType));
          types.push(e.aggregateType);
          index.set(e.aggregateType, k);
        }
        messages.push(k, k, e.position, eventsChannel(channelPrefix, e.aggregateType), e.json);
      }
      const floors = types.map((t) => expected.get(t) ?? 0);
      const result = await fenced.publishAndMirror([marks.length + streams.length, ...marks, ...streams, marks.length, maxlen, ...floors, ...messages]);
      return types.map((aggregateType, i) => (result[i] === -1 ? { aggregateType, inSync: true } : { aggregateType, inSync: false, top: result[i]! }));
    },
  };
}

export type RedisPublisher = ReturnType<typeof createPublisher>;

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
