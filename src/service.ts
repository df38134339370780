import type { AggregateDefinition } from './aggregates/aggregate.ts';
import { emptyEventTypes, type EventTypeRegistry } from './aggregates/event-types.ts';
import { createApp } from './app.ts';
import type { ResolvedConfig } from './config.ts';
import type { Logger } from './observability/logger.ts';
import { createRelay } from './publishing/relay.ts';
import { createReplayRunner } from './publishing/replays.ts';
import { createPublisherConnection } from './publishing/redis.ts';
import { createMetrics, registerStoreGauges } from './observability/metrics.ts';
import { createAppendQueue } from './store/append-queue.ts';
import { headPosition } from './store/event-store.ts';
import { knownMigrations } from './postgres/migrate.ts';
import { createCommitNotifications } from './store/commit-notifications.ts';
import { createCommitSignal } from './store/commit-signal.ts';
import { createDatabase } from './postgres/database.ts';

export type Service = ReturnType<typeof createService>;

/** What a team serves: its aggregate definitions and event type registry. */
export interface ServiceDefinitions {
  aggregates?: AggregateDefinition<any>[];
  eventTypes?: EventTypeRegistry;
}

/**
 * Builds every dependency once and wires them: HTTP appends go to the store, the store's
 * committed events are relayed to Redis. main.ts serves it; tests build the same graph with
 * their own database and channel prefix. Migrations are applied before this (runMigrations).
 */
export function createService(config: ResolvedConfig, logger: Logger, definitions: ServiceDefinitions = {}) {
  const aggregates = new Map<string, AggregateDefinition<unknown>>();
  for (const a of definitions.aggregates ?? []) {
    if (aggregates.has(a.type)) throw new Error(`aggregate type ${a.type} is defined twice`);
    aggregates.set(a.type, a);
  }
  const eventTypes = definitions.eventTypes ?? emptyEventTypes;
  const database = createDatabase({ ...config.database, appendConnections: config.append.maxInFlight });
  const redis = createPublisherConnection(config.redis.url, logger);
  const metrics = createMetrics();
  const relay = createRelay({
    databaseUrl: config.database.url,
    redis,
    channelPrefix: config.redis.channelPrefix,
    batchSize: config.relay.batchSize,
    pollIntervalMs: config.relay.pollIntervalMs,
    leaseMs: config.relay.leaseMs,
    logger,
    onCommitPublished: (seconds) => metrics.publishDelay.observe(seconds),
  });
  const commits = createCommitSignal(database.sql, config.relay.pollIntervalMs);
  // Commits of other instances wake the relay and SSE streams at once; polling stays the fallback.
  const notifications = createCommitNotifications({
    databaseUrl: config.database.url,
    logger,
    onCommitted: (position) => {
      relay.notifyCommitted(position);
      commits.notify(position);
    },
  });
  const replays = createReplayRunner({
    sql: database.sql, redisUrl: config.redis.url, channelPrefix: config.redis.channelPrefix,
    batchSize: config.replays.batchSize, pauseMs: config.replays.pauseMs, logger,
  });
  const shutdown = new AbortController();
  const appendQueue = createAppendQueue({
    connections: database.appends,
    maxBatchEvents: config.append.maxBatchEvents,
    onBatch: (events) => metrics.batchSize.observe(events),
    onCommitted: (created) => {
      const head = created[created.length - 1]!.position;
      relay.notify(created);
      commits.notify(head);
      notifications.announce(head);
    },
  });
  const app = createApp({
    database, appendQueue, redis, relay, logger, maxBodyBytes: config.http.maxBodyBytes,
    aggregates, eventTypes, rejectUnregisteredEventTypes: config.eventTypes.rejectUnregistered,
    commits, sseHeartbeatMs: config.sse.heartbeatMs, shutdown: shutdown.signal, replays,
    metrics, apiKeys: config.auth.keys, ratePerSecond: config.limits.ratePerSecond,
    maxBatchEvents: config.limits.maxBatchEvents, maxQueryLimit: config.limits.maxQueryLimit,
    requestTimeoutMs: config.limits.requestTimeoutMs, logRequests: config.logRequests,
    expectedMigrations: knownMigrations(),
  });
  registerStoreGauges(metrics, {
    headPosition: () => headPosition(database.sql),
    relay: () => relay.status(),
    appendsInFlight: () => appendQueue.inFlight(),
    poolMax: database.reads.size,
    reads: () => database.reads.stats(),
  });
  relay.start();

  return {
    app,
    database,
    aggregates,
    eventTypes,
    replays,
    appendQueue,
    relay,
    redis,
    /** Ends open SSE streams, so that closing the server does not wait for their clients. */
    endStreams() {
      shutdown.abort();
    },
    /** Stops in dependency order: appends in flight finish, the relay saves its checkpoint. */
    async close() {
      shutdown.abort();
      await appendQueue.drain();
      await notifications.stop();
      commits.stop();
      await replays.stop();
      await relay.stop();
      redis.disconnect();
      await database.close();
    },
  };
}
