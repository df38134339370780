import type { ChainableCommander } from 'ioredis';
import { publishedMarkKey } from '../events/channels.ts';
import { connectRedis, type RedisConnection, type RedisTarget, whenReady } from '../events/redis-connection.ts';
import { describeRedisTarget } from '../events/redis-nodes.ts';
import { catchUpLockKey, catchUpTriesKey, eventsStreamKey, parkedStreamKey, replayStreamKey } from '../events/stream-keys.ts';
import { CLAIM_KEPT, HAND_BACK, PARK, READ_GROUP, RECLAIM, RENEW_LOCK, SET_ID_IF } from './consume-scripts.ts';

/** The keys one consumer group uses for one aggregate type. */
export interface GroupKeys {
  aggregateType: string;
  stream: string;
  replay: string;
  parked: string;
  lock: string;
  /** Handler starts of the events the catch-up reads from the store. */
  tries: string;
  /** The relay's record of the newest position published for the type. */
  published: string;
}

export function groupKeys(prefix: string, aggregateType: string, group: string): GroupKeys {
  return {
    aggregateType,
    stream: eventsStreamKey(prefix, aggregateType),
    replay: replayStreamKey(prefix, aggregateType, group),
    parked: parkedStreamKey(prefix, aggregateType, group),
    lock: catchUpLockKey(prefix, aggregateType, group),
    tries: catchUpTriesKey(prefix, aggregateType, group),
    published: publishedMarkKey(prefix, aggregateType),
  };
}

export type RawEntry = [id: string, fields: string[] | null];
export type GuardedRead = { kind: 'nogroup' } | { kind: 'behind'; last: string; first: string } | { kind: 'entries'; last: string; entries: RawEntry[] };

export type ConsumerRedis = RedisConnection & {
  readGroup(key: string, group: string, consumer: string, count: number, since: string): Promise<unknown[]>;
  setIdIf(key: string, group: string, expected: string, id: string): Promise<number>;
  park(parked: string, source: string, group: string, id: string, ...fields: string[]): Promise<number>;
  renewLock(key: string, holder: string, ms: number): Promise<number>;
  reclaim(key: string, group: string, consumer: string, idleMs: number, count: number): Promise<[claimed: string[], deleted: string[], trimmed: string[]]>;
  handBack(replay: string, stream: string, group: string, ...idsAndEvents: string[]): Promise<number>;
};

/** Adds CLAIM_KEPT to a pipeline: `consumer` claims those of `ids` its stream still holds, with IDLE and a RETRYCOUNT per entry when given. */
export function claimKept(p: ChainableCommander, key: string, group: string, consumer: string, ids: string[], options: { idleMs?: number; retryCount?: (i: number) => number } = {}): void {
  const args = [group, consumer, options.idleMs === undefined ? '' : String(options.idleMs), ...ids.flatMap((id, i) => [id, options.retryCount ? String(options.retryCount(i)) : ''])];
  (p as ChainableCommander & { claimKept(key: string, ...args: string[]): unknown }).claimKept(key, ...args);
}

/** Adds to a pipeline a read of `consumer`'s own pending entries past any id: it reads nothing, and tells the group the consumer is alive (its idle time, which RECLAIM reads, starts again). */
export function touch(p: ChainableCommander, key: string, group: string, consumer: string): void {
  p.xreadgroup('GROUP', group, consumer, 'COUNT', 1, 'STREAMS', key, '18446744073709551615-0');
}

// One connection for commands and one blocking connection per type: a blocking read cannot
// span slots, and an idle type's wait must not delay a busy one.
export function createConsumerConnections(target: RedisTarget, blockingCount: number): { commands: ConsumerRedis; blocking: RedisConnection[] } {
  const commands = connectRedis(target, 10_000);
  // Longer than any BLOCK consume() sends: it only catches a connection that stopped answering.
  const blocking = Array.from({ length: blockingCount }, () => connectRedis(target, 15_000));
  for (const r of [commands, ...blocking]) r.on('error', () => {}); // reconnects by itself
  commands.defineCommand('readGroup', { numberOfKeys: 1, lua: READ_GROUP });
  commands.defineCommand('setIdIf', { numberOfKeys: 1, lua: SET_ID_IF });
  commands.defineCommand('park', { numberOfKeys: 2, lua: PARK });
  commands.defineCommand('renewLock', { numberOfKeys: 1, lua: RENEW_LOCK });
  commands.defineCommand('claimKept', { numberOfKeys: 1, lua: CLAIM_KEPT });
  commands.defineCommand('reclaim', { numberOfKeys: 1, lua: RECLAIM });
  commands.defineCommand('handBack', { numberOfKeys: 2, lua: HAND_BACK });
  return { commands: commands as ConsumerRedis, blocking };
}

// One pipeline per type (its keys share a slot; a cluster refuses one across slots), side by side.
export async function pipelinePerSlot<G>(redis: RedisConnection, groups: Map<G, Map<string, string[]>>, add: (pipeline: ChainableCommander, key: string, ids: string[], group: G) => void): Promise<[Error | null, unknown][]> {
  const results = await Promise.all([...groups].map(([group, byKey]) => {
    const pipeline = redis.pipeline();
    for (const [key, ids] of byKey) add(pipeline, key, ids, group);
    return pipeline.exec().then((r) => r ?? [], (error: Error) => [[error, null] as [Error, null]]);
  }));
  return results.flat();
}

/** Resolves once the connection is ready; rejects after `ms`. */
export async function connected(redis: RedisConnection, ms: number, target: RedisTarget): Promise<void> {
  if (await whenReady(redis, ms)) return;
  throw new Error(`consume(): cannot reach Redis at ${describeRedisTarget(target)} within ${ms} ms`);
}

export function parseGuardedRead(reply: unknown[]): GuardedRead {
  if (reply[0] === 'behind') return { kind: 'behind', last: reply[1] as string, first: reply[2] as string };
  if (reply[0] === 'entries') return { kind: 'entries', last: reply[1] as string, entries: (reply[2] || []) as RawEntry[] };
  return { kind: 'nogroup' };
}

/** The event JSON of an entry (its one field, `event`), or undefined for a deleted entry. */
export function entryEvent(fields: string[] | null): string | undefined {
  if (!fields) return undefined;
  const i = fields.indexOf('event');
  return i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
}

/** The tries an entry of the replay stream carries from before it was handed back (HAND_BACK); 0 for any other. */
export function entryTries(fields: string[] | null | undefined): number {
  const i = fields ? fields.indexOf('tries') : -1;
  return i >= 0 && i % 2 === 0 ? Number(fields![i + 1]) || 0 : 0;
}

export const isNoGroup = (error: unknown) => error instanceof Error && /NOGROUP|no such key/i.test(error.message);
export const isBusyGroup = (error: unknown) => error instanceof Error && /BUSYGROUP/.test(error.message);

/** Creates the group (and its stream, empty, if missing) at `id`; one that exists is left as it is. */
export async function createGroup(redis: RedisConnection, key: string, group: string, id: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', key, group, id, 'MKSTREAM');
  } catch (error) {
    if (!isBusyGroup(error)) throw error;
  }
}
