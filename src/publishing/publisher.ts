import { eventsChannel, publishedMarkKey } from '../events/channels.ts';
import { eventsStreamKey } from '../events/stream-keys.ts';
import type { EventRecord } from '../store/event-record.ts';
import { publishAboveMark, publishAndMirror, type PublishCommand } from './publish-scripts.ts';
import { isCluster, type RedisConnection } from './redis.ts';
import { groupBy } from '../events/group-by.ts';

/** What the relay publishes through: events in position order, resolved once Redis has them. */
export interface Publisher {
  publish(batch: EventRecord[]): Promise<void>;
  /** The relay took the lease: what was learnt about Redis before may be stale. */
  reset?(): void;
}

/** A mirrored stream after a publish: in sync (its entries were added), or behind at `top`. */
export type MirrorOutcome = { aggregateType: string; inSync: true } | { aggregateType: string; inSync: false; top: number };

type Script = (args: (string | number)[]) => Promise<unknown>;

function scripts(redis: RedisConnection, command: PublishCommand): { aboveMark: Script; andMirror: Script } {
  const names = command === 'PUBLISH' ? ['publishAboveMark', 'publishAndMirror'] : ['spublishAboveMark', 'spublishAndMirror'];
  const [aboveMark, andMirror] = names as [string, string];
  if (!(aboveMark in redis)) redis.defineCommand(aboveMark, { lua: publishAboveMark(command) });
  if (!(andMirror in redis)) redis.defineCommand(andMirror, { lua: publishAndMirror(command) });
  const table = redis as unknown as Record<string, Script>;
  return { aboveMark: (args) => table[aboveMark]!.call(redis, args), andMirror: (args) => table[andMirror]!.call(redis, args) };
}

const byType = (batch: EventRecord[]) => groupBy(batch, (e) => e.aggregateType);

// Redis itself refuses a message at or below its channel's mark (the newest position published there): while Redis keeps
// the marks, a late relay (Redis paused, lease lapsed) or a re-publish never sends an aggregate's event after a later one.
// In a Redis Cluster a call's keys share a slot: one call per type (a cluster keeps no order across nodes anyway).
export function createPublisher(redis: RedisConnection, channelPrefix: string, command: PublishCommand = 'PUBLISH') {
  const run = scripts(redis, command);
  const cluster = isCluster(redis);

  async function mirrorCall(types: [string, EventRecord[]][], marks: boolean, streams: boolean, expected: ReadonlyMap<string, number>, maxlen: number): Promise<number[]> {
    const keys = [...(marks ? types.map(([t]) => publishedMarkKey(channelPrefix, t)) : []), ...(streams ? types.map(([t]) => eventsStreamKey(channelPrefix, t)) : [])];
    const floors = streams ? types.map(([t]) => expected.get(t) ?? 0) : [];
    const messages = types
      .flatMap(([t, events], i) => events.map((e) => [marks ? i + 1 : 0, streams ? i + 1 : 0, e.position, eventsChannel(channelPrefix, t), e.json] as const))
      .sort((a, b) => a[2] - b[2])
      .flat();
    return (await run.andMirror([keys.length, ...keys, marks ? types.length : 0, maxlen, ...floors, ...messages])) as number[];
  }

  return {
    /** Resolves once Redis has executed the whole batch; rejects if it did not answer. */
    async publish(batch: EventRecord[]): Promise<void> {
      if (batch.length === 0) return;
      const calls = cluster ? [...byType(batch).values()] : [batch];
      await Promise.all(
        calls.map((events) => {
          const keys: string[] = [];
          const keyIndex = new Map<string, number>();
          const args: (string | number)[] = [];
          for (const e of events) {
            let k = keyIndex.get(e.aggregateType);
            if (k === undefined) {
              k = keys.push(publishedMarkKey(channelPrefix, e.aggregateType));
              keyIndex.set(e.aggregateType, k);
            }
            args.push(k, e.position, eventsChannel(channelPrefix, e.aggregateType), e.json);
          }
          return run.aboveMark([keys.length, ...keys, ...args]);
        }),
      );
    },

    // Also XADDs each event to its type's stream as <position>-0. A stream below `expected` (what it must already hold)
    // gets none of the batch and is reported behind, for the caller to refill: a stream never has a hole.
    async publishAndMirror(batch: EventRecord[], expected: ReadonlyMap<string, number>, maxlen: number): Promise<MirrorOutcome[]> {
      if (batch.length === 0) return [];
      const types = [...byType(batch)];
      const tops = !cluster
        ? await mirrorCall(types, true, true, expected, maxlen)
        : await Promise.all(
            types.map(async (t) => {
              await mirrorCall([t], true, false, expected, maxlen);
              return (await mirrorCall([t], false, true, expected, maxlen))[0]!;
            }),
          );
      return types.map(([aggregateType], i) => (tops[i] === -1 ? { aggregateType, inSync: true } : { aggregateType, inSync: false, top: tops[i]! }));
    },
  };
}

export type RedisPublisher = ReturnType<typeof createPublisher>;

/** Plain publications in order per channel (replays); whether Redis acknowledged every one. */
export async function publishMessages(redis: RedisConnection, messages: { channel: string; body: string }[], command: PublishCommand = 'PUBLISH'): Promise<boolean> {
  const sharded = command === 'SPUBLISH';
  // A sharded channel lives on its slot's master: one pipeline per channel in a cluster.
  const groups = isCluster(redis) && sharded ? [...groupBy(messages, (m) => m.channel).values()] : [messages];
  const acknowledged = await Promise.all(
    groups.map(async (group) => {
      const pipeline = redis.pipeline();
      for (const m of group) {
        if (sharded) pipeline.spublish(m.channel, m.body);
        else pipeline.publish(m.channel, m.body);
      }
      const results = (await pipeline.exec()) ?? [];
      return results.length === group.length && results.every(([err]) => !err);
    }),
  );
  return acknowledged.every(Boolean);
}
