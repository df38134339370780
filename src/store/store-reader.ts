import type { StoredEvent } from '../events/event.ts';
import type { Sql } from '../postgres/database.ts';
import { queryEvents } from './event-store.ts';
import type { EventReader } from '../client/subscribe.ts';

/** Catch-up straight from the store, for TypeScript services that share the database. */
export function storeEventReader(sql: Sql, options: { aggregateType?: string } = {}): EventReader {
  return async (after, limit) => {
    const page = await queryEvents(sql, { after, limit: Math.min(limit, 1000), offset: 0, order: 'asc', aggregateType: options.aggregateType });
    return { events: page.events.map((json) => JSON.parse(json) as StoredEvent), nextAfter: page.nextAfter };
  };
}
