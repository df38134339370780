import type { StoredEvent } from '../events/event.ts';
import { parseRedisNodes, type RedisTarget } from '../events/redis-nodes.ts';
import { GROUP_NAME_PATTERN, isAggregateType } from '../events/stream-keys.ts';
import { resolveRetryDelay, type RetryDelay, wholeNumber } from './retry.ts';
import type { EventReader } from './subscribe.ts';

export interface HandlerContext {
  /** 1 on the first try; an event taken over from a consumer that died counts the tries it had there. */
  attempt: number;
  /** Aborted when the handler's time (handlerTimeoutMs) is up; stop() lets running handlers finish without aborting them. */
  signal: AbortSignal;
  /** Where the event came from: the group's stream, the store (the window had lost it), or a replay of parked events. */
  source: 'stream' | 'store' | 'replay';
}

export interface ConsumeOptions {
  /** One Redis server; give this or `redisClusterNodes`. */
  redisUrl?: string;
  /** Some nodes of a Redis Cluster: `host:port` each, or one string `host:port,host:port` (the service's REDIS_CLUSTER_NODES). */
  redisClusterNodes?: string[] | string;
  /** Same as the service's REDIS_CHANNEL_PREFIX. */
  channelPrefix?: string;
  /** Reads the store when the group needs events its stream no longer holds (httpEventReader). */
  reader: EventReader;
  /** The consumer group: [A-Za-z0-9][A-Za-z0-9_.-]{0,63}. */
  group: string;
  /** This consumer's name within the group, unique per running process (same pattern). */
  consumer: string;
  /** The aggregate types whose streams the group reads (at least one). */
  aggregateTypes: string[];
  /** Called once per event (at least once across failures); resolve to acknowledge, throw to retry. */
  handler(event: StoredEvent, context: HandlerContext): Promise<void> | void;
  /** Aggregates handled at once (default 8); one aggregate's events are always one at a time. */
  concurrency?: number;
  /** Where a group created now starts: 'end' (default: events after now), 'beginning', or after a position. */
  start?: 'beginning' | 'end' | number;
  /** Tries before an event is parked in the group's dead-letter stream (default 5). */
  maxAttempts?: number;
  /** Pause before a retry: initialMs doubling up to maxMs (default 200 and 10,000). */
  retryDelay?: Partial<RetryDelay>;
  /** A handler that has not finished after this long counts as failed (default 30,000). */
  handlerTimeoutMs?: number;
  /** Entries of a consumer silent this long are taken over by the others (default 30,000). */
  claimIdleMs?: number;
  /** Entries read per call (default 100). */
  readCount?: number;
  /** Failures of handlers (with their event), of Redis and of the reader; consumption goes on. */
  onError?(error: unknown, event?: StoredEvent): void;
}

export class ConsumeOptionsError extends TypeError {
  override name = 'ConsumeOptionsError';
}

/** Where consume() connects: one server, or a cluster through some of its nodes. */

export type ResolvedConsumeOptions = Required<Omit<ConsumeOptions, 'redisUrl' | 'redisClusterNodes' | 'retryDelay' | 'onError'>> & {
  redis: RedisTarget;
  retryDelay: RetryDelay;
  onError(error: unknown, event?: StoredEvent): void;
};

const fail = (message: string) => new ConsumeOptionsError(message);
const positiveInt = (name: string, value: number | undefined, fallback: number, max = 1_000_000_000): number => wholeNumber(name, value, fallback, 1, max, fail);

function redisTarget(o: ConsumeOptions): RedisTarget {
  if ((o.redisUrl === undefined) === (o.redisClusterNodes === undefined)) throw new ConsumeOptionsError('give exactly one of redisUrl (one Redis server) and redisClusterNodes (a Redis Cluster)');
  if (o.redisUrl !== undefined) {
    if (typeof o.redisUrl !== 'string' || o.redisUrl === '') throw new ConsumeOptionsError(`redisUrl must be a Redis URL (redis://host:port), got ${JSON.stringify(o.redisUrl)}`);
    return { url: o.redisUrl };
  }
  try {
    return { clusterNodes: parseRedisNodes(o.redisClusterNodes!) };
  } catch (error) {
    throw new ConsumeOptionsError(`redisClusterNodes: ${(error as Error).message}`);
  }
}

/** Validates consume()'s options and fills in the defaults; a bad one is a ConsumeOptionsError naming it. */
export function resolveConsumeOptions(o: ConsumeOptions): ResolvedConsumeOptions {
  const redis = redisTarget(o);
  for (const name of ['group', 'consumer'] as const) {
    if (typeof o[name] !== 'string' || !GROUP_NAME_PATTERN.test(o[name])) {
      throw new ConsumeOptionsError(`${name} must match ${GROUP_NAME_PATTERN.source} (letters, digits, "_", ".", "-"; at most 64), got ${JSON.stringify(o[name])}`);
    }
  }
  if (!Array.isArray(o.aggregateTypes) || o.aggregateTypes.length === 0) throw new ConsumeOptionsError('aggregateTypes must name at least one aggregate type');
  for (const t of o.aggregateTypes) if (typeof t !== 'string' || !isAggregateType(t)) throw new ConsumeOptionsError(`aggregateTypes: ${JSON.stringify(t)} is not an aggregate type ([a-z][a-z0-9_-]{0,63})`);
  if (typeof o.handler !== 'function') throw new ConsumeOptionsError('handler must be a function');
  if (typeof o.reader !== 'function') throw new ConsumeOptionsError('reader must be a function, such as httpEventReader(baseUrl)');
  const start = o.start ?? 'end';
  if (start !== 'beginning' && start !== 'end' && !(Number.isSafeInteger(start) && start >= 0)) throw new ConsumeOptionsError(`start must be 'beginning', 'end' or a position (integer >= 0), got ${JSON.stringify(start)}`);
  return {
    redis,
    channelPrefix: o.channelPrefix ?? '',
    reader: o.reader,
    group: o.group,
    consumer: o.consumer,
    aggregateTypes: [...new Set(o.aggregateTypes)],
    handler: o.handler,
    concurrency: positiveInt('concurrency', o.concurrency, 8, 10_000),
    start,
    maxAttempts: positiveInt('maxAttempts', o.maxAttempts, 5, 1000),
    retryDelay: resolveRetryDelay(o.retryDelay, fail),
    handlerTimeoutMs: positiveInt('handlerTimeoutMs', o.handlerTimeoutMs, 30_000),
    claimIdleMs: positiveInt('claimIdleMs', o.claimIdleMs, 30_000),
    readCount: positiveInt('readCount', o.readCount, 100, 10_000),
    onError: o.onError ?? (() => {}),
  };
}

/** What a consumer has done so far (consume().stats()). */
export interface ConsumerStats {
  handled: number;
  failures: number;
  parked: number;
  /** Events read from the store because the stream no longer held them. */
  fromStore: number;
  /** Entries taken over from silent consumers, and the trimmed entries of dead ones handed back to the group. */
  reclaimed: number;
}
