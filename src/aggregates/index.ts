// `event-service/aggregates`: define aggregates and typed events, and load state from the store.
export { defineAggregate, foldEvents, type AggregateDefinition, type AggregateEvent, type AggregateOptions, type EventOf } from './aggregate.ts';
export { defineEventTypes, upcaster, type EventPayloads, type EventTypeRegistry, type EventTypeVersion, type PayloadsOf } from './event-types.ts';
export { AggregateFoldError, loadAggregate, type LoadedAggregate, type LoadOptions } from './load-aggregate.ts';
export type { StoredEvent } from '../events/event.ts';
