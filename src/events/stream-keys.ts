import { NAME_PATTERN } from './names.ts';

// The Redis keys of the Streams mirror (SPEC §9), shared by the relay, the service's routes and
// the client's consume(). A group's own keys (dead letters, replays, catch-up lock) carry the
// stream's name as their hash tag, so in a Redis Cluster they live in the stream's slot.

/** The stream the relay mirrors an aggregate type's events into: entry id `<position>-0`. */
export function eventsStreamKey(prefix: string, aggregateType: string): string {
  return `${prefix}stream:events:${aggregateType}`;
}

/** Events a group gave up on after its retries (dead letters), oldest first. */
export function parkedStreamKey(prefix: string, aggregateType: string, group: string): string {
  return `{${eventsStreamKey(prefix, aggregateType)}}:parked:${group}`;
}

/** Parked events sent back to the group for another round (POST …/parked/replay). */
export function replayStreamKey(prefix: string, aggregateType: string, group: string): string {
  return `{${eventsStreamKey(prefix, aggregateType)}}:replay:${group}`;
}

/** Held by the one consumer of a group that reads the store for entries the window lost. */
export function catchUpLockKey(prefix: string, aggregateType: string, group: string): string {
  return `{${eventsStreamKey(prefix, aggregateType)}}:catch-up:${group}`;
}

/** Group and consumer names: no colon, brace, space or glob character reaches a key. */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const isAggregateType = (s: string) => NAME_PATTERN.test(s);

/** The position an entry id `<position>-<n>` stands for. */
export function positionOfEntryId(id: string): number {
  const dash = id.indexOf('-');
  return Number(dash < 0 ? id : id.slice(0, dash));
}
