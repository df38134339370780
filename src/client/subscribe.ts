import { positionOf, type StoredEvent } from '../events/event.ts';
import { allEventsPattern, eventsChannel } from '../events/channels.ts';
import { describeRedisTarget, parseRedisNodes } from '../events/redis-nodes.ts';
import { followRedis } from './redis-subscription.ts';
import { createSleeper } from '../events/sleeper.ts';
import { backoffMs } from './retry.ts';

/**
 * Stored events after a position, in position order; only `aggregateType`'s when given (consume() gives it; subscribe()
 * never does: its catch-up accounts for every position, so a reader that filtered by itself would leave gaps it waits on).
 */
export type EventReader = (after: number, limit: number, aggregateType?: string, signal?: AbortSignal) => Promise<{ events: StoredEvent[]; nextAfter: number | null }>;

export interface Checkpoint {
  /** The position of the last event handled, or undefined to start from `after`. */
  load(): Promise<number | undefined>;
  save(position: number): Promise<void>;
}

export interface SubscribeOptions {
  /** One Redis server (REDIS_URL); not needed with `redisClusterNodes`. */
  redisUrl?: string;
  /** Some nodes of a Redis Cluster: `host:port` each, or one string `host:port,host:port` (the service's REDIS_CLUSTER_NODES). */
  redisClusterNodes?: string | string[];
  /** As the service's REDIS_PUBSUB (default 'broadcast'); 'sharded' subscribes per type, so it needs `aggregateTypes`. */
  redisPubsub?: 'broadcast' | 'sharded';
  /** Same as the service's REDIS_CHANNEL_PREFIX. */
  channelPrefix?: string;
  /** Only these aggregate types (default: all). */
  aggregateTypes?: string[];
  /** Catch-up reads; see httpEventReader and storeEventReader. */
  reader: EventReader;
  /** Start after this position when the checkpoint has none (default 0: from the beginning). */
  after?: number;
  checkpoint?: Checkpoint;
  /** Called once per event, in position order; the next waits until it resolves. */
  onEvent(event: StoredEvent): Promise<void> | void;
  /** Errors of the reader, the handler, or a reconnect to Redis; the subscription retries after a pause (0.5 s, doubling to 10 s while failures follow each other). */
  onError?(error: unknown): void;
  pageSize?: number;
}

export interface Subscription {
  /** The position of the last event handed to onEvent. */
  readonly position: number;
  close(): Promise<void>;
}

interface Passing {
  position: number;
  passing: true;
}

const PAUSE = { initialMs: 500, maxMs: 10_000 };

/**
 * Every event exactly once, in position order: catches up from the store after the checkpoint, then follows Redis,
 * dropping duplicates by position and reading the store again after a (re)connect or a position gap. Positions are
 * gapless across types, so it follows every channel even with a type filter; sharded, a gap is checked in the store.
 */
export async function subscribe(options: SubscribeOptions): Promise<Subscription> {
  const prefix = options.channelPrefix ?? '';
  const types = options.aggregateTypes && options.aggregateTypes.length > 0 ? new Set(options.aggregateTypes) : null;
  const pageSize = options.pageSize ?? 1000;
  const typeOffset = eventsChannel(prefix, '').length;
  const sharded = options.redisPubsub === 'sharded';
  if (sharded && !types) throw new TypeError('subscribe(): redisPubsub "sharded" needs aggregateTypes (one sharded channel per type)');
  const clusterNodes = options.redisClusterNodes === undefined ? null : parseRedisNodes(options.redisClusterNodes);
  if (!options.redisUrl && !clusterNodes) throw new TypeError('subscribe(): give redisUrl or redisClusterNodes');
  let position = (await options.checkpoint?.load()) ?? options.after ?? 0;
  // Every position up to `seen` is accounted for: handed to onEvent, or of another type.
  let seen = position;
  let live: (StoredEvent | Passing)[] = [];
  let needCatchUp = true;
  let closed = false;
  let running: Promise<void> | null = null;
  let failures = 0;
  // Both ended by close() at once: a catch-up read (aborted) and a pause after a failure (woken).
  const closing = new AbortController();
  const pause = createSleeper();

  const onMessage = (channel: string, body: string) => {
    try {
      if (types && !types.has(channel.slice(typeOffset))) live.push({ position: positionOf(body), passing: true });
      else live.push(JSON.parse(body) as StoredEvent);
    } catch {
      return;
    }
    kick();
  };
  // Subscribed first, then caught up: nothing published in between can be missed.
  const redis = followRedis({
    redisUrl: options.redisUrl,
    clusterNodes,
    mode: sharded ? { pubsub: 'sharded', channels: [...types!].map((t) => eventsChannel(prefix, t)) } : { pubsub: 'broadcast', pattern: allEventsPattern(prefix) },
    onMessage,
    onError: options.onError,
    onSubscribed: () => {
      needCatchUp = true;
      kick();
    },
  });

  function kick() {
    running ??= work().finally(() => {
      running = null;
      if (!closed && (needCatchUp || live.length > 0)) kick();
    });
  }

  async function deliver(event: StoredEvent) {
    if (event.position <= position || (types && !types.has(event.aggregate_type))) return;
    await options.onEvent(event);
    position = event.position;
    await options.checkpoint?.save(position);
  }

  async function work() {
    try {
      while (!closed && (needCatchUp || live.length > 0)) {
        if (needCatchUp) {
          needCatchUp = false;
          // Every type is read: page on what was read, not on what was delivered.
          let cursor = seen;
          for (;;) {
            const page = await options.reader(cursor, pageSize, undefined, closing.signal);
            for (const e of page.events) {
              if (closed) return;
              await deliver(e);
              cursor = Math.max(cursor, e.position);
              seen = cursor;
            }
            if (page.nextAfter === null) break;
          }
          continue;
        }
        const batch = live;
        live = [];
        for (let i = 0; i < batch.length && !closed; i++) {
          const e = batch[i]!;
          if (e.position <= seen) continue;
          if (e.position > seen + 1) {
            needCatchUp = true;
            live = [...batch.slice(i), ...live];
            break;
          }
          if (!('passing' in e)) await deliver(e);
          seen = e.position;
        }
      }
      failures = 0;
    } catch (error) {
      if (closed) return;
      options.onError?.(error);
      if (closed) return; // closed by onError itself
      needCatchUp = true;
      failures++;
      await pause.sleep(backoffMs(PAUSE, failures));
    }
  }

  await redis.ready.catch((error: unknown) => {
    const where = describeRedisTarget(clusterNodes ? { clusterNodes } : { url: options.redisUrl! });
    throw new Error(`subscribe(): cannot reach Redis at ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  return {
    get position() {
      return position;
    },
    async close() {
      closed = true;
      closing.abort();
      pause.wake();
      redis.close();
      await running;
    },
  };
}
