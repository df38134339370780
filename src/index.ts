// The package's public surface: the service as a library, and the modules that rebuild
// aggregate state from events.
export { createEventService, type EventServiceOptions } from './event-service.ts';
export { defineAggregate, foldEvents, type AggregateDefinition, type AggregateEvent, type AggregateOptions } from './aggregates/aggregate.ts';
export { defineEventTypes, type EventTypeRegistry, type EventTypeVersion } from './aggregates/event-types.ts';
export { loadAggregate, type LoadedAggregate, type LoadOptions } from './aggregates/load-aggregate.ts';
export { readSnapshot, writeSnapshot, type Snapshot } from './aggregates/snapshot-store.ts';
export { createDatabase, type Database, type DatabaseOptions } from './postgres/database.ts';
export type { StoredEvent } from './events/event.ts';
export { subscribe, httpEventReader, type Checkpoint, type EventReader, type SubscribeOptions, type Subscription } from './client/subscribe.ts';
export { storeEventReader } from './store/store-reader.ts';
export { createEventClient, EventServiceError, type AppendInput, type EventClient, type EventFilters, type Problem, type QueryOptions } from './client/client.ts';
