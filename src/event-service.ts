import type { Hono } from 'hono';
import type { AggregateDefinition } from './aggregates/aggregate.ts';
import type { EventTypeRegistry } from './aggregates/event-types.ts';
import type { OnStep } from './lifecycle/segment-writer.ts';
import type { Logger } from './observability/logger.ts';
import { startEventService } from './start.ts';
import type { EventStore } from './store/event-store.ts';

export interface EventServiceOptions {
  /** Default: process.env. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Aggregate definitions served by GET /aggregates/{type}/{id}. */
  aggregates?: AggregateDefinition<any>[];
  /** Payload schemas checked on append, upcasters applied on load. */
  eventTypes?: EventTypeRegistry;
  /** Apply pending migrations at start (default true; `events-service migrate` does it alone). */
  migrate?: boolean;
  /** Told each archival step as it completes (crash-safety tests). */
  onArchiveStep?: OnStep;
  /** Ends a start still waiting for another instance's migrations: it rejects with StartAbortedError. */
  signal?: AbortSignal;
}

/** The service as a library: the HTTP app, its store, and how to serve and stop it. */
export interface EventService {
  /** The Hono app (serve it yourself, or call `app.request()` in tests). */
  readonly app: Hono;
  readonly store: EventStore;
  readonly logger: Logger;
  listen(): Promise<{ port: number }>;
  /** Stops in order: no new connections, requests in flight finish, the relay hands over, pools close. */
  close(): Promise<void>;
}

/** Starts the service: config from the environment, PostgreSQL (embedded without DATABASE_URL), migrations, relay and app. */
export function createEventService(options: EventServiceOptions = {}): Promise<EventService> {
  return startEventService(options);
}
