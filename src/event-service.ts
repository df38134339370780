import type { Hono } from 'hono';
import type { AggregateDefinition } from './aggregates/aggregate.ts';
import type { EventTypeRegistry } from './aggregates/event-types.ts';
import type { OnStep } from './lifecycle/segment-writer.ts';
import type { Logger } from './observability/logger.ts';
import { startEventService } from './start.ts';
import type { EventStore } from './store/event-store.ts';

export interface EventServiceOptions {
  /** Where configuration is read from (default: process.env); see README "Configuration". */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Aggregate definitions served by GET /aggregates/{type}/{id}. */
  aggregates?: AggregateDefinition<any>[];
  /** Payload schemas checked on append, and upcasters applied on load. */
  eventTypes?: EventTypeRegistry;
  /** Apply pending migrations at start (default true; `events-service migrate` does it alone). */
  migrate?: boolean;
  /** Told each step of archival as it completes (tests stop a process at one to prove crash safety). */
  onArchiveStep?: OnStep;
}

/** The service as a library: the HTTP app, its store, and how to serve and stop it. */
export interface EventService {
  /** The Hono app (serve it yourself, or call `app.request()` in tests). */
  readonly app: Hono;
  /** The event store on the service's read connections. */
  readonly store: EventStore;
  readonly logger: Logger;
  /** Serves on PORT and HOST; resolves once listening. */
  listen(): Promise<{ port: number }>;
  /** Stops in order: no new connections, requests in flight finish, the relay hands over, pools close. */
  close(): Promise<void>;
}

/**
 * Starts the service with a team's own aggregate definitions and event types: configuration
 * from the environment, PostgreSQL (embedded without DATABASE_URL) with pending migrations
 * applied, the relay to Redis, and the app.
 */
export function createEventService(options: EventServiceOptions = {}): Promise<EventService> {
  return startEventService(options);
}
