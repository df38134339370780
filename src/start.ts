import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ServerType } from '@hono/node-server';
import type { AggregateDefinition } from './aggregates/aggregate.ts';
import { emptyEventTypes } from './aggregates/event-types.ts';
import { createApp } from './app.ts';
import { closeServer, ListenError, listenHttp } from './http/server.ts';
import { parseConfig, type ResolvedConfig, withDatabaseUrl } from './config.ts';
import { createConsumerGroupsInspector } from './consumer-groups/inspect.ts';
import { createParkedEvents } from './consumer-groups/parked.ts';
import { registerConsumerGroupGauges } from './observability/consumer-group-metrics.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, registerStoreGauges } from './observability/metrics.ts';
import { createDatabase } from './postgres/database.ts';
import { driverHasWriteFix } from './postgres/driver-check.ts';
import { startEmbeddedPostgres } from './postgres/embedded.ts';
import { appliedMigrations, checkReplica, knownMigrations, runMigrations } from './postgres/migrate.ts';
import { postgresTarget } from './postgres/url.ts';
import { createCheckpoint } from './publishing/checkpoint.ts';
import { createLease } from './publishing/lease.ts';
import { scheduleMirrorChecks } from './publishing/mirror-checks.ts';
import { createPublisher } from './publishing/publisher.ts';
import { describeRedisTarget } from './events/redis-nodes.ts';
import { createPublisherConnection, redisTargetOf, whenReady } from './publishing/redis.ts';
import { createRedisHistory } from './publishing/redis-history.ts';
import { createRelay } from './publishing/relay.ts';
import { createReplayRunner } from './publishing/replays.ts';
import { createStreamMirror } from './publishing/stream-mirror.ts';
import { createLifecycle } from './lifecycle/lifecycle.ts';
import type { EventServiceOptions } from './event-service.ts';
import { createShutdown } from './shutdown.ts';
import { registerStatsGauges } from './stats/stats-metrics.ts';
import { createStatsProjector } from './stats/stats-projector.ts';
import { createAppendQueue } from './store/append-queue.ts';
import { createCommitNotifications } from './store/commit-notifications.ts';
import { createCommitSignal } from './store/commit-signal.ts';
import { createEventStore, headPosition } from './store/event-store.ts';
import { createPartitionMaintenance } from './store/partitions.ts';
import { createSavedQueries } from './store/saved-queries.ts';

export type RunningService = Awaited<ReturnType<typeof startEventService>>;

/** The composition root; `close()` stops everything in the reverse order it was built. */
export async function startEventService(options: EventServiceOptions = {}) {
  const parsed = parseConfig(options.env ?? process.env);
  const logger = options.logger ?? createLogger(parsed.logLevel);
  const shutdown = createShutdown(logger, { timeoutMs: parsed.shutdownTimeoutMs });
  if (!(await driverHasWriteFix())) {
    logger.warn('postgres.js without the fix for porsager/postgres#1208: a PostgreSQL outage can end this process. Run the repository (npm ci) or the Docker image, or apply patches/postgres+3.4.9.patch from the package (README, When PostgreSQL is away)');
  }
  try {
    const config = await openDatabase(parsed, logger, options.migrate ?? true, (stop) => shutdown.add('embedded PostgreSQL', stop), options.signal);
    return { ...wire(config, logger, options, shutdown), config, logger, close: shutdown.close };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}

async function openDatabase(config: ReturnType<typeof parseConfig>, logger: Logger, migrate: boolean, onStarted: (stop: () => Promise<void>) => void, signal?: AbortSignal): Promise<ResolvedConfig> {
  let url = config.database.url;
  if (!url) {
    const embedded = await startEmbeddedPostgres({ ...config.database.embedded, logger });
    onStarted(() => embedded.stop());
    logger.info({ dataDir: embedded.dataDir }, `no DATABASE_URL: using an embedded PostgreSQL with its data in ${embedded.dataDir}; set DATABASE_URL to use your own PostgreSQL server instead`);
    url = embedded.url;
  }
  if (migrate) {
    logger.info({ database: postgresTarget(url).where }, 'applying migrations');
    await runMigrations(url, config.database.connectTimeoutSeconds, { signal, logger });
  }
  if (config.database.readUrl) await checkReplica(config.database.readUrl, config.database.connectTimeoutSeconds, logger);
  return withDatabaseUrl(config, url);
}

// Guessing is not limited (a 401 counts against no key): a key must be too long to guess.
const MIN_KEY_LENGTH = 16;

function wire(config: ResolvedConfig, logger: Logger, options: EventServiceOptions, shutdown: ReturnType<typeof createShutdown>) {
  const aggregates = new Map<string, AggregateDefinition<unknown>>();
  for (const a of options.aggregates ?? []) {
    if (aggregates.has(a.type)) throw new Error(`aggregate type ${a.type} is defined twice`);
    aggregates.set(a.type, a);
  }
  const eventTypes = options.eventTypes ?? emptyEventTypes;
  if (config.auth.keys.length === 0) {
    logger.warn(config.auth.disabled ? 'AUTH=disabled: the API is open to anyone who can reach it' : 'no API_KEYS: the API is open to anyone who can reach it; set API_KEYS="<secret>:read+write,…" to require keys');
    if (config.limits.ratePerSecond > 0) logger.warn('RATE_LIMIT_PER_SECOND limits requests per API key, and there are none: nothing is limited');
  }
  for (const key of config.auth.keys) {
    if (key.secret.length < MIN_KEY_LENGTH) logger.warn({ key: key.label }, `API key ${key.label} is shorter than ${MIN_KEY_LENGTH} characters: guesses are not rate limited, so use a long random key`);
  }

  const metrics = createMetrics();
  const { readUrl, minPositionWaitMs } = config.database;
  const database = createDatabase({
    ...config.database, appendConnections: config.append.maxInFlight, logger,
    replica: readUrl ? { url: readUrl, minPositionWaitMs, readHead: headPosition, onRead: (server) => metrics.reads.inc({ server }) } : undefined,
  });
  shutdown.add('PostgreSQL connections', () => database.close());
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const lifecycle = createLifecycle({ config: config.archive, database, metrics, logger, owner, onStep: options.onArchiveStep });
  shutdown.add('archive runs', () => lifecycle.stop());
  const { archive } = lifecycle;
  // Every store pages its reads by the same byte budget; `null`: PostgreSQL only.
  const storeOn = (on: Parameters<typeof createEventStore>[0], from: typeof archive | null) => createEventStore(on, { archive: from, maxPageBytes: config.limits.maxPageBytes });
  const store = storeOn(database.reads, archive);
  // Fails at once while the primary is down, so health, metrics and replays answer quickly.
  const background = storeOn(database.background, archive);
  const redis = createPublisherConnection(config.redis, logger);
  const publishCommand = config.redis.pubsub === 'sharded' ? 'SPUBLISH' : 'PUBLISH';
  shutdown.add('Redis connection', () => redis.disconnect());

  // The relay's own connection, never behind appends; no WAL flush wait: a lost checkpoint write only re-publishes.
  const relaySql = database.dedicated('relay', { synchronous_commit: 'off' });
  // Hot only: the relay reads above its checkpoint, and nothing above it is ever archived.
  const relayStore = storeOn(relaySql, null);
  const publisher = createPublisher(redis, config.redis.channelPrefix, publishCommand);
  const mirroring = config.redis.streams;
  const mirror = mirroring.enabled
    ? createStreamMirror({ redis, publisher, store: relayStore, channelPrefix: config.redis.channelPrefix, maxlen: mirroring.maxlen, logger, onRefill: (type, events) => metrics.streamRefills.inc({ aggregate_type: metrics.aggregateTypeLabel(type) }, events) })
    : null;
  const relay = createRelay({
    store: relayStore,
    lease: createLease({ sql: relaySql, name: 'redis', owner, leaseMs: config.relay.leaseMs }),
    checkpoint: createCheckpoint({ sql: relaySql, name: 'redis', owner }),
    publisher: mirror ?? publisher,
    history: createRedisHistory(redis, config.redis.channelPrefix),
    batchSize: config.relay.batchSize,
    pollIntervalMs: config.relay.pollIntervalMs,
    logger,
    onCommitPublished: (seconds) => metrics.publishDelay.observe(seconds),
  });
  shutdown.add('relay', () => relay.stop());
  if (mirror) shutdown.add('stream mirror checks', scheduleMirrorChecks({ mirror, redis, relay, intervalMs: mirroring.checkIntervalMs, logger }));

  const replays = createReplayRunner({
    store: background, sql: database.sql, redis: config.redis, publishCommand, channelPrefix: config.redis.channelPrefix,
    batchSize: config.replays.batchSize, pauseMs: config.replays.pauseMs, logger,
  });
  shutdown.add('replays', () => replays.stop());
  const commits = createCommitSignal(background, config.relay.pollIntervalMs);
  shutdown.add('commit signal', () => commits.stop());
  // Rollups are counted after commits, never in the append transaction, on a connection that need not wait for the WAL.
  const statsSql = database.dedicated('stats', { synchronous_commit: 'off' });
  const stats = createStatsProjector({ store: storeOn(statsSql, null), batchSize: config.stats.batchSize, idleMs: config.relay.pollIntervalMs * 4, intervalMs: config.stats.intervalMs, logger });
  shutdown.add('stats projection', () => stats.stop());
  const notifications = createCommitNotifications({
    sql: database.dedicated('notify', { synchronous_commit: 'off' }),
    logger,
    onCommitted: (position) => {
      relay.notifyCommitted(position);
      commits.notify(position);
      stats.notify(position);
    },
  });
  shutdown.add('commit notifications', () => notifications.stop());

  const partitions = createPartitionMaintenance({
    sql: database.sql, logger, intervalMs: config.partitions.maintenanceIntervalMs, partitionSize: config.partitions.size,
  });
  shutdown.add('partition maintenance', () => partitions.stop());

  const appendQueue = createAppendQueue({
    store: storeOn(database.appends, archive),
    maxInFlight: database.appends.size,
    maxBatchEvents: config.append.maxTransactionEvents,
    onBatch: (events) => metrics.batchSize.observe(events),
    onCommitted: (created) => {
      const head = created[created.length - 1]!.position;
      relay.notify(created);
      commits.notify(head);
      stats.notify(head);
      notifications.announce(head);
      partitions.notifyHead(head);
    },
  });
  shutdown.add('appends in flight', () => appendQueue.drain());

  const consumerGroups = createConsumerGroupsInspector({ redis, store: background, channelPrefix: config.redis.channelPrefix });
  const parked = createParkedEvents(redis, config.redis.channelPrefix);
  registerConsumerGroupGauges(metrics, () => consumerGroups.list());

  const streams = new AbortController();
  const app = createApp({
    store, background, appendQueue, redis, relay, logger, maxBodyBytes: config.http.maxBodyBytes,
    aggregates, eventTypes, rejectUnregisteredEventTypes: config.eventTypes.rejectUnregistered,
    commits, sseHeartbeatMs: config.sse.heartbeatMs, sseMaxStreams: config.sse.maxStreams, shutdown: streams.signal, replays, consumerGroups, parked, savedQueries: createSavedQueries(database.reads),
    metrics, apiKeys: config.auth.keys, ratePerSecond: config.limits.ratePerSecond,
    maxBatchEvents: config.limits.maxBatchEvents, maxQueryLimit: config.limits.maxQueryLimit,
    requestTimeoutMs: config.limits.requestTimeoutMs, logRequests: config.logRequests,
    expectedMigrations: knownMigrations(), appliedMigrations: () => database.primary.run(() => appliedMigrations(database.sql)),
    databases: { primary: database.primary, replica: database.replica },
    lifecycle,
  });
  registerStoreGauges(metrics, {
    headPosition: () => background.headPosition(),
    relay: () => relay.status(),
    appendsInFlight: () => appendQueue.inFlight(),
    poolMax: database.reads.size,
    reads: () => database.reads.stats(),
    databases: () => ({ primary: database.primary.up, ...(database.replica ? { replica: database.replica.up } : {}) }),
  });
  registerStatsGauges(metrics, { headPosition: () => background.headPosition(), statsPosition: () => background.statsPosition() });
  relay.start();
  lifecycle.start();
  partitions.start();
  stats.start();

  let server: ServerType | undefined;
  let listening: Promise<number> | undefined;
  let closed = false;
  // Registered last, so it runs first: no new connections, SSE streams end, requests in flight finish.
  shutdown.add('HTTP server', async () => {
    closed = true;
    streams.abort();
    // A listen() under way is let finish, then closed: a server that is not listening yet cannot be.
    await listening?.catch(() => {});
    if (server) await closeServer(server, config.shutdownTimeoutMs, logger);
  }, { finishesRequests: true });

  return {
    app, store, database, appendQueue, relay, redis, replays, aggregates, eventTypes, partitions,
    async listen(): Promise<{ port: number }> {
      // One HTTP server per service: a second would be one close() does not know of.
      if (closed) throw new ListenError('the service is closed');
      if (listening) throw new ListenError('listen() was called already: a service serves one HTTP server');
      // Redis is optional: say so once without delaying the start by more than a second.
      const redisReady = whenReady(redis, 1_000);
      const attempt = listenHttp(app.fetch, config.http, logger, (http) => (server = http));
      listening = attempt;
      attempt.catch(() => (listening = undefined));
      const port = await attempt;
      if (closed) throw new ListenError('the service was closed while it started listening');
      if (!(await redisReady)) {
        logger.warn({ redis: describeRedisTarget(redisTargetOf(config.redis)) }, 'Redis is not reachable: appends, reads and streams work, and publication to Redis waits until it is. Start one with "docker compose up -d redis" or your distribution\'s redis-server package, or set REDIS_URL.');
      }
      logger.info({ port, host: config.http.host }, 'event service listening');
      return { port };
    },
  };
}
