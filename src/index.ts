// The package's root: the service as a library, and what rebuilds aggregate state from events.
// The light entries are `event-service/client` and `event-service/aggregates`.
export { createEventService, type EventService, type EventServiceOptions } from './event-service.ts';
export * from './aggregates/index.ts';
export { createEventStore, type EventStore, type EventPage } from './store/event-store.ts';
export type { Snapshot } from './store/snapshots.ts';
export { storeEventReader } from './store/store-reader.ts';
// For stores of your own that read archived events too: createEventStore(sql, { archive: createArchiveReader({ storage: createSegmentStorage(url), cacheBytes }) }).
export { createArchiveReader, type ArchiveReader } from './lifecycle/archive-reader.ts';
export { createSegmentStorage } from './lifecycle/segment-storage.ts';
export type { StoredEvent } from './events/event.ts';
