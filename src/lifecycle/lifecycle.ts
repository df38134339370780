import type { Config } from '../config.ts';
import { ConfigError } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Database } from '../postgres/database.ts';
import { createHotTier } from '../store/hot-tier.ts';
import { createArchiveReader } from './archive-reader.ts';
import { createArchiveStatus } from './archive-status.ts';
import { listSegments, manifestKeys } from './manifest.ts';
import { createRetentionPolicies } from './policies.ts';
import { createArchiveRuns } from './runs.ts';
import { createArchiveScheduler } from './scheduler.ts';
import type { OnStep } from './segment-writer.ts';
import { DEFAULT_READ_CIRCUIT } from './read-circuit.ts';
import { createSegmentStorage } from './segment-storage.ts';

export interface LifecycleOptions {
  config: Config['archive'];
  database: Database;
  metrics: Metrics;
  logger: Logger;
  owner: string;
  onStep?: OnStep;
}

/** The store's lifecycle: archive storage and reader, retention policies, runs on demand and scheduled, health. */
export function createLifecycle({ config, database, metrics, logger, owner, onStep }: LifecycleOptions) {
  let storage;
  try {
    storage = createSegmentStorage(config.url, { endpoint: config.s3Endpoint, region: config.s3Region, credentials: config.s3Credentials });
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  ARCHIVE_URL: ${(error as Error).message}`);
  }
  // What answers requests goes through the primary's circuit: while PostgreSQL is known down it fails at once.
  const requests = database.background;
  const status = createArchiveStatus(metrics.registry, storage.description, (keys) => requests.use((sql) => manifestKeys(sql, keys)));
  const archive = createArchiveReader({
    storage, cacheBytes: config.cacheBytes, onStorage: status.onStorage, onSegment: status.onSegment,
    readCircuit: { ...DEFAULT_READ_CIRCUIT, timeoutMs: config.readTimeoutMs },
  });
  const policies = createRetentionPolicies(requests);
  // Its own connection: a run's statements may take longer than requests are allowed to.
  const work = database.dedicated('archiver', { statement_timeout: '600000' });
  const runs = createArchiveRuns({
    sql: work, control: database.sql, requests, hot: createHotTier(work), storage, policies, owner, leaseMs: config.leaseMs,
    segmentSize: { events: config.segmentEvents, bytes: config.segmentBytes }, rowGroupSize: config.rowGroupEvents, busy: config.maxBusy, logger, onStep, observer: status.observer,
  });
  const scheduler = createArchiveScheduler({ runs, sql: database.sql, intervalSeconds: config.intervalSeconds, logger });

  return {
    archive, policies, runs, storage,
    /** The archive's manifest, a page of segments at a time. */
    segments: (q: Parameters<typeof listSegments>[1]) => requests.use((sql) => listSegments(sql, q)),
    start: () => scheduler.start(),
    async health() {
      const last = await runs.lastReal();
      return {
        storage: status.storage().status, storage_error: status.storage().error,
        last_run: last ? { id: last.id, status: last.status, dry_run: last.dry_run, started_at: last.started_at, finished_at: last.finished_at, error: last.error } : null,
      };
    },
    async stop() {
      await scheduler.stop();
      await runs.stop();
      await storage.close();
    },
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
