import type { EventReader } from '../client/subscribe.ts';
import type { StoredEvent } from '../events/event.ts';
import type { Sql } from '../postgres/database.ts';
import { createEventStore, type EventStore } from './event-store.ts';

/** The subscriber's catch-up straight from the store, for TypeScript services that share the database; filtered by type when the call asks. */
export function storeEventReader(source: Pick<EventStore, 'query'> | Sql): EventReader {
  const store = typeof source === 'function' ? createEventStore(source) : source;
  return async (after, limit, aggregateType) => {
    const page = await store.query({ after, limit: Math.min(limit, 1000), offset: 0, order: 'asc', aggregateType });
    return { events: page.events.map((json) => JSON.parse(json) as StoredEvent), nextAfter: page.nextAfter };
  };
}
