import { NAME_PATTERN } from './names.ts';

// A group's own keys carry the stream's name as their hash tag, so in Redis Cluster they share its slot.

/** The stream the relay mirrors an aggregate type's events into: entry id `<position>-0`. */
export function eventsStreamKey(prefix: string, aggregateType: string): string {
  return `${prefix}stream:events:${aggregateType}`;
}

export function parkedStreamKey(prefix: string, aggregateType: string, group: string): string {
  return `{${eventsStreamKey(prefix, aggregateType)}}:parked:${group}`;
}

export function replayStreamKey(prefix: string, aggregateType: string, group: string): string {
  return `{${eventsStreamKey(prefix, aggregateType)}}:replay:${group}`;
}

export function catchUpLockKey(prefix: string, aggregateType: string, group: string): string {
  return `{${eventsStreamKey(prefix, aggregateType)}}:catch-up:${group}`;
}

/** The starts of handlers of the events a catch-up reads from the store, by position (they have no entry to count them in). */
export function catchUpTriesKey(prefix: string, aggregateType: string, group: string): string {
  return `{${eventsStreamKey(prefix, aggregateType)}}:catch-up-tries:${group}`;
}

/** Group and consumer names: no colon, brace, space or glob character reaches a key. */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const isAggregateType = (s: string) => NAME_PATTERN.test(s);

export function positionOfEntryId(id: string): number {
  const dash = id.indexOf('-');
  return Number(dash < 0 ? id : id.slice(0, dash));
}
