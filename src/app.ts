import { Hono, type MiddlewareHandler } from 'hono';
import { createAdminRoutes } from './admin/admin.routes.ts';
import type { AggregateDefinition } from './aggregates/aggregate.ts';
import type { EventTypeRegistry } from './aggregates/event-types.ts';
import { AppError } from './errors.ts';
import type { ConsumerGroupsInspector } from './consumer-groups/inspect.ts';
import type { ParkedEvents } from './consumer-groups/parked.ts';
import { createAggregatesRoutes, createSchemasRoutes } from './http/aggregates.routes.ts';
import { createConsumerGroupsRoutes } from './http/consumer-groups.routes.ts';
import { createAuthKeyRoutes } from './http/auth-key.routes.ts';
import { createEventsRoutes } from './http/events.routes.ts';
import { createAuth } from './http/auth.ts';
import { createArchiveRoutes } from './http/archive.routes.ts';
import { createHealthRoutes, createReadyRoutes } from './http/health.routes.ts';
import { createDocsRoutes } from './http/docs.routes.ts';
import { createOpenApi } from './http/openapi/document.ts';
import { createPathIndex } from './http/openapi/path-index.ts';
import { createRetentionRoutes } from './http/retention.routes.ts';
import type { Lifecycle } from './lifecycle/lifecycle.ts';
import { requestContext } from './http/request-context.ts';
import { createReplaysRoutes } from './http/replays.routes.ts';
import { createSavedQueriesRoutes } from './http/saved-queries.routes.ts';
import { createStatsRoutes } from './http/stats.routes.ts';
import { createStreamRoutes } from './http/stream.routes.ts';
import { createErrorHandler, problemResponse } from './http/problem.ts';
import type { ApiKey } from './config.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { Circuit } from './postgres/circuit.ts';
import type { RedisConnection } from './publishing/redis.ts';
import type { Relay } from './publishing/relay.ts';
import type { ReplayRunner } from './publishing/replays.ts';
import type { AppendQueue } from './store/append-queue.ts';
import type { CommitSignal } from './store/commit-signal.ts';
import type { EventStore } from './store/event-store.ts';
import type { SavedQueries } from './store/saved-queries.ts';

export interface AppDeps {
  store: EventStore;
  /** The store on the background connections (health, metrics). */
  background: EventStore;
  appendQueue: AppendQueue;
  redis: RedisConnection;
  relay: Relay;
  logger: Logger;
  maxBodyBytes: number;
  aggregates: ReadonlyMap<string, AggregateDefinition<unknown>>;
  eventTypes: EventTypeRegistry;
  rejectUnregisteredEventTypes: boolean;
  commits: CommitSignal;
  sseHeartbeatMs: number;
  /** Most SSE streams open at once (SSE_MAX_STREAMS). */
  sseMaxStreams: number;
  /** Aborted when the service begins to shut down: open SSE streams end. */
  shutdown?: AbortSignal;
  replays: ReplayRunner;
  consumerGroups: ConsumerGroupsInspector;
  parked: ParkedEvents;
  savedQueries: SavedQueries;
  metrics: Metrics;
  apiKeys: ApiKey[];
  ratePerSecond: number;
  maxBatchEvents: number;
  maxQueryLimit: number;
  requestTimeoutMs: number;
  logRequests: boolean;
  expectedMigrations: number;
  appliedMigrations(): Promise<number>;
  /** Whether each PostgreSQL server answers (requests that need one fail fast through it). */
  databases: { primary: Circuit; replica?: Circuit };
  lifecycle: Pick<Lifecycle, 'policies' | 'runs' | 'segments' | 'health'>;
}

/** The HTTP application, without a server: tests call app.request(). */
export function createApp(deps: AppDeps) {
  // strict: false serves /events and /events/ alike (the seed's curl examples use the slash).
  const app = new Hono({ strict: false });
  app.use('*', requestContext({ logger: deps.logger, metrics: deps.metrics, logRequests: deps.logRequests, timeoutMs: deps.requestTimeoutMs }));
  app.use('*', createAuth({ keys: deps.apiKeys, ratePerSecond: deps.ratePerSecond }));
  // Before /events, whose /:id would otherwise take "stream".
  app.route('/events/stream', createStreamRoutes({ store: deps.store, commits: deps.commits, heartbeatMs: deps.sseHeartbeatMs, maxStreams: deps.sseMaxStreams, shutdown: deps.shutdown, logger: deps.logger }));
  app.route('/events', createEventsRoutes(deps));
  app.route('/health', createHealthRoutes(deps));
  app.route('/ready', createReadyRoutes(deps));
  const openapi = createOpenApi({ maxBatchEvents: deps.maxBatchEvents, maxQueryLimit: deps.maxQueryLimit, authEnabled: deps.apiKeys.length > 0 });
  const openapiJson = JSON.stringify(openapi);
  app.get('/openapi.json', (c) => c.newResponse(openapiJson, 200, { 'content-type': 'application/json' }));
  app.route('/docs', createDocsRoutes());
  app.get('/metrics', async (c) => c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }));
  app.route('/aggregates', createAggregatesRoutes(deps));
  app.route('/schemas', createSchemasRoutes(deps.eventTypes));
  // Replays query the background pool itself: while the primary does not answer they fail fast too.
  const needsPrimary: MiddlewareHandler = (_c, next) => deps.databases.primary.run(() => next());
  app.use('/replays', needsPrimary);
  app.use('/replays/*', needsPrimary);
  app.route('/replays', createReplaysRoutes(deps.replays, deps.maxBodyBytes));
  app.route('/consumer-groups', createConsumerGroupsRoutes({ redis: deps.redis, groups: deps.consumerGroups, parked: deps.parked, maxBodyBytes: deps.maxBodyBytes }));
  app.route('/retention', createRetentionRoutes(deps.lifecycle.policies, deps.maxBodyBytes));
  app.route('/archive', createArchiveRoutes(deps.lifecycle.runs, deps.lifecycle.segments, deps.maxBodyBytes));
  app.route('/stats', createStatsRoutes(deps));
  app.route('/auth', createAuthKeyRoutes(deps));
  app.route('/saved-queries', createSavedQueriesRoutes(deps));
  app.route('/admin', createAdminRoutes());
  // A path the document has answers 405 to a method it lacks; the console's pages are not in it.
  // c.req.path has lost its one trailing slash already (strict: false): /health// stays unknown.
  const methodsAt = createPathIndex(openapi.paths);
  app.notFound((c) => {
    const allowed = methodsAt(c.req.path) ?? (/^\/admin(\/.*)?$/.test(c.req.path) ? ['GET', 'HEAD'] : undefined);
    return allowed && !allowed.includes(c.req.method)
      ? problemResponse(c, new AppError('method_not_allowed', `${c.req.method} is not supported on ${c.req.path}`, {}, { headers: { allow: allowed.join(', ') } }))
      : problemResponse(c, new AppError('not_found', `no route ${c.req.method} ${c.req.path}`));
  });
  app.onError(createErrorHandler(deps.logger));
  return app;
}
