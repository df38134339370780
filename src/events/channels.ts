// The only place a channel name is built. aggregate_type is pattern-checked on the way in
// (src/events/names.ts) and by a table constraint, so no glob character can reach Redis.
export function eventsChannel(prefix: string, aggregateType: string): string {
  return `${prefix}events:${aggregateType}`;
}

/** The PSUBSCRIBE pattern that sees every event channel under a prefix. */
export function allEventsPattern(prefix: string): string {
  return `${prefix}events:*`;
}

/**
 * The Redis key in which the relay records the newest position it published on a channel.
 * Its hash tag is the channel name, so in a Redis Cluster the key lives in the channel's slot.
 */
export function publishedMarkKey(prefix: string, aggregateType: string): string {
  return `{${eventsChannel(prefix, aggregateType)}}:published`;
}
