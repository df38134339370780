import { eventsStreamKey } from '../events/stream-keys.ts';
import type { Logger } from '../observability/logger.ts';
import { eventRecord, type EventRecord } from '../store/event-record.ts';
import type { EventStore } from '../store/event-store.ts';
import type { Publisher, RedisPublisher } from './publisher.ts';
import { REFILL_STREAM } from './publish-scripts.ts';
import type { RedisConnection } from './redis.ts';

export interface StreamMirrorOptions {
  redis: RedisConnection;
  publisher: RedisPublisher;
  store: Pick<EventStore, 'query' | 'aggregateTypes' | 'lastPositionOfType' | 'typeWindow'>;
  channelPrefix: string;
  /** Entries kept per stream (approximate trimming). */
  maxlen: number;
  logger: Logger;
  onRefill?(aggregateType: string, events: number): void;
}

export interface StreamMirror extends Publisher {
  /** Compares every type's stream with the store up to `published`, and refills what Redis lost. */
  check(published: number): Promise<void>;
}

const REFILL_PAGE = 1000;
type RefillRedis = RedisConnection & { refillStream(key: string, ...args: (string | number)[]): Promise<[number, number]> };

// Each stream holds a contiguous run of its type's newest events: where Redis lost entries (no persistence, FLUSHALL,
// eviction, a lagging replica promoted), it is refilled from PostgreSQL before any later entry; check() covers idle types.
export function createStreamMirror(options: StreamMirrorOptions): StreamMirror {
  const { redis, publisher, store, channelPrefix, maxlen } = options;
  const log = options.logger.child({ component: 'stream-mirror' });
  if (!('refillStream' in redis)) redis.defineCommand('refillStream', { numberOfKeys: 1, lua: REFILL_STREAM });
  const refiller = redis as RefillRedis;
  // Per type, the newest position its stream is known to hold (learnt while holding the lease).
  const known = new Map<string, number>();
  let queue: Promise<unknown> = Promise.resolve();
  // Publishing, checks and refills of a stream never interleave within this relay.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  // The type's events in (top, upTo], at most the newest maxlen; if that leaves some out, the stream is emptied first.
  async function refill(aggregateType: string, top: number, upTo: number): Promise<void> {
    const key = eventsStreamKey(channelPrefix, aggregateType);
    const { start, all } = await store.typeWindow(aggregateType, top, upTo, maxlen);
    let expected = top;
    let clear = !all;
    let added = 0;
    for (let cursor = start === null ? upTo : start - 1; cursor < upTo; ) {
      const page = await store.query({ aggregateType, after: cursor, limit: REFILL_PAGE, offset: 0, order: 'asc' });
      const events = page.events.map((json) => eventRecord(json, aggregateType)).filter((e) => e.position <= upTo);
      if (events.length === 0) break;
      const [ok, found] = await refiller.refillStream(key, expected, clear ? 1 : 0, maxlen, ...events.flatMap((e) => [e.position, e.json]));
      if (ok !== 1) throw new Error(`stream ${key} changed during its refill (top ${found}, expected ${expected})`);
      expected = found;
      clear = false;
      added += events.length;
      cursor = events[events.length - 1]!.position;
      if (page.nextAfter === null) break;
    }
    known.set(aggregateType, expected);
    if (added > 0) {
      log.info({ aggregate_type: aggregateType, events: added, from: start, to: expected, emptied: !all }, 'stream refilled from PostgreSQL');
      options.onRefill?.(aggregateType, added);
    }
  }

  return {
    publish: (batch: EventRecord[]) =>
      serial(async () => {
        if (batch.length === 0) return;
        const expected = new Map<string, number>();
        const newest = new Map<string, number>();
        for (const e of batch) {
          newest.set(e.aggregateType, e.position);
          if (!expected.has(e.aggregateType)) expected.set(e.aggregateType, known.get(e.aggregateType) ?? (await store.lastPositionOfType(e.aggregateType, batch[0]!.position - 1)));
        }
        const upTo = batch[batch.length - 1]!.position;
        for (const outcome of await publisher.publishAndMirror(batch, expected, maxlen)) {
          if (outcome.inSync) {
            known.set(outcome.aggregateType, newest.get(outcome.aggregateType)!);
            continue;
          }
          known.delete(outcome.aggregateType);
          await refill(outcome.aggregateType, outcome.top, upTo);
        }
      }),
    reset() {
      known.clear();
    },
    check: (published: number) =>
      serial(async () => {
        const types = await store.aggregateTypes();
        if (types.length === 0) return;
        // Not one pipeline: in a Redis Cluster the streams are in different slots.
        const tops = await Promise.all(
          types.map(async (t) => {
            const id = (await redis.xrevrange(eventsStreamKey(channelPrefix, t), '+', '-', 'COUNT', 1))[0]?.[0];
            return id ? Number(id.slice(0, id.indexOf('-'))) : 0;
          }),
        );
        for (const [i, aggregateType] of types.entries()) {
          const expected = await store.lastPositionOfType(aggregateType, published);
          if (tops[i]! >= expected) known.set(aggregateType, Math.max(expected, known.get(aggregateType) ?? 0));
          else await refill(aggregateType, tops[i]!, published);
        }
      }),
  };
}
