import { ReplyError } from 'ioredis';
import { eventsStreamKey, parkedStreamKey, positionOfEntryId, replayStreamKey } from '../events/stream-keys.ts';
import type { RedisConnection } from '../publishing/redis.ts';
import type { EventStore } from '../store/event-store.ts';
import { createStreamTypes } from './stream-types.ts';

export interface ConsumerGroupStatus {
  aggregate_type: string;
  stream: string;
  group: string;
  consumers: number;
  /** Entries delivered and not acknowledged (the group's replay stream included). */
  pending: number;
  /** Events of the type after the group's last delivered position (counted in the store, up to LAG_CAP). */
  lag: number;
  /** Seconds since the event of the lowest pending position was appended (null: none pending). */
  oldest_pending_seconds: number | null;
  parked: number;
  last_delivered_position: number;
}

export const LAG_CAP = 1_000_000;

type Info = Record<string, unknown>;

/** An error Redis answered with (no such key, no such group): passed on; any other (no answer, no connection) is thrown. */
function replied(error: Error): Error {
  if (error instanceof ReplyError) return error;
  throw error;
}
const record = (flat: unknown[]): Info => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [String(flat[2 * i]), flat[2 * i + 1]]));

// Lag is counted in the store, archive included: the stream may no longer hold what a group has not read.
export function createConsumerGroupsInspector({ redis, store, channelPrefix }: { redis: RedisConnection; store: Pick<EventStore, 'aggregateTypes' | 'countAfter' | 'secondsSinceAppended'>; channelPrefix: string }) {
  const streamTypes = createStreamTypes(redis, channelPrefix);
  return {
    async list(aggregateType?: string): Promise<ConsumerGroupStatus[]> {
      // The store's types, and those of streams it has no event of yet (a group created before the first one).
      const types = aggregateType ? [aggregateType] : [...new Set((await Promise.all([store.aggregateTypes(), streamTypes()])).flat())].sort();
      // Side by side, not one pipeline: in a Redis Cluster the types' keys are in different slots.
      // Redis's answer that a key or group is not there is settled; a Redis that does not answer fails the listing.
      const settle = (p: Promise<unknown>) => p.then((reply): [Error | null, unknown] => [null, reply], (error: Error): [Error | null, unknown] => [replied(error), null]);
      const infos = await Promise.all(types.map((t) => settle(redis.xinfo('GROUPS', eventsStreamKey(channelPrefix, t)))));
      const groups = types.flatMap((t, i) => {
        const [error, reply] = infos[i] ?? [null, []];
        return error ? [] : (reply as unknown[][]).map((g) => ({ aggregateType: t, info: record(g) }));
      });
      if (groups.length === 0) return [];
      const replies = await Promise.all(
        groups.flatMap(({ aggregateType: t, info }) => [
          settle(redis.xpending(eventsStreamKey(channelPrefix, t), String(info.name), '-', '+', 1)),
          settle(redis.xpending(replayStreamKey(channelPrefix, t, String(info.name)), String(info.name))),
          settle(redis.xlen(parkedStreamKey(channelPrefix, t, String(info.name)))),
        ]),
      );
      // The oldest pending event's age runs from its append, not from Redis's idle time: a live consume()
      // claims its entries every second (ADR 36), which keeps a hung handler's entry near 0 s. One
      // PostgreSQL lookup for all groups; Redis's figure for an event PostgreSQL no longer holds (archived).
      const oldestOf = (i: number) => ((replies[3 * i]?.[1] ?? []) as [string, string, number, number][])[0];
      const pendingPositions = groups.flatMap((_, i) => {
        const oldest = oldestOf(i);
        return oldest ? [positionOfEntryId(oldest[0])] : [];
      });
      const ages = await store.secondsSinceAppended([...new Set(pendingPositions)]);
      return Promise.all(
        groups.map(async ({ aggregateType: t, info }, i) => {
          const oldest = oldestOf(i);
          const replayPending = replies[3 * i + 1]?.[0] ? 0 : Number((replies[3 * i + 1]?.[1] as [number] | undefined)?.[0] ?? 0);
          const last = positionOfEntryId(String(info['last-delivered-id']));
          return {
            aggregate_type: t,
            stream: eventsStreamKey(channelPrefix, t),
            group: String(info.name),
            consumers: Number(info.consumers),
            pending: Number(info.pending) + replayPending,
            lag: await store.countAfter(t, last, LAG_CAP),
            oldest_pending_seconds: oldest ? (ages.get(positionOfEntryId(oldest[0])) ?? oldest[2] / 1000) : null,
            parked: Number(replies[3 * i + 2]?.[1] ?? 0),
            last_delivered_position: last,
          };
        }),
      );
    },
    async exists(aggregateType: string, group: string): Promise<boolean> {
      const groups = (await redis.xinfo('GROUPS', eventsStreamKey(channelPrefix, aggregateType)).catch((error: Error) => (replied(error), []))) as unknown[][];
      return groups.some((g) => record(g).name === group);
    },
  };
}

export type ConsumerGroupsInspector = ReturnType<typeof createConsumerGroupsInspector>;
