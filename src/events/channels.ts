// The only place a channel name is built; names are pattern-checked on the way in, so no glob reaches Redis.
export function eventsChannel(prefix: string, aggregateType: string): string {
  return `${prefix}events:${aggregateType}`;
}

export function allEventsPattern(prefix: string): string {
  return `${prefix}events:*`;
}

/** Where the relay records the newest position published on a channel; hash-tagged to the channel's Cluster slot. */
export function publishedMarkKey(prefix: string, aggregateType: string): string {
  return `{${eventsChannel(prefix, aggregateType)}}:published`;
}
