// The package's root: the service as a library; light entries are `./client` and `./aggregates`.
export { createEventService, type EventService, type EventServiceOptions } from './event-service.ts';
export * from './aggregates/index.ts';
export { createEventStore, type EventStore, type EventPage } from './store/event-store.ts';
export type { Snapshot } from './store/snapshots.ts';
export { storeEventReader } from './store/store-reader.ts';
// For a store of your own that reads archived events too: createEventStore(sql, { archive: createArchiveReader(…) }).
export { createArchiveReader, type ArchiveReader } from './lifecycle/archive-reader.ts';
export { createSegmentStorage } from './lifecycle/segment-storage.ts';
export type { StoredEvent } from './events/event.ts';
