// `event-service/client`: HTTP and Redis only; it loads no PostgreSQL driver, logger or embedded PostgreSQL.
export { createEventClient, type AppendInput, type ClientOptions, type EventClient, type EventFilters, type QueryOptions, type SnapshotAnswer } from './client.ts';
export { AppendOutcomeUnknownError, EventServiceError, type Problem } from './problems.ts';
export { subscribe, type Checkpoint, type EventReader, type SubscribeOptions, type Subscription } from './subscribe.ts';
export { httpEventReader } from './http-reader.ts';
export { consume, type Consumer } from './consume.ts';
export { ConsumeOptionsError, type ConsumeOptions, type HandlerContext } from './consume-options.ts';
export type { ConsumerStats } from './consume-options.ts';
export { readSse, type SseMessage } from './sse.ts';
export type { StoredEvent } from '../events/event.ts';
