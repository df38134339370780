// The only place a channel name is built. aggregate_type is pattern-checked on the way in
// (src/events/names.ts) and by a table constraint, so no glob character can reach Redis.
export function eventsChannel(prefix: string, aggregateType: string): string {
  return `${prefix}events:${aggregateType}`;
}

/** The PSUBSCRIBE pattern that sees every event channel under a prefix. */
export function allEventsPattern(prefix: string): string {
  return `${prefix}events:*`;
}
