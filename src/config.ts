import { z } from 'zod';
import { parseSecondsOrDuration } from './lifecycle/duration.ts';
import { archiveUrl } from './lifecycle/segment-storage.ts';
import { isPostgresUrl, namesDatabase } from './postgres/url.ts';
import { MAX_PAGE_BYTES } from './store/event-query.ts';

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;
// Digits only: Number() would read ' ' as 0 and 0x1F4B as 8011.
const int = (min: number, max: number) => z.string().regex(/^\d+$/, 'expected a whole number').transform(Number).pipe(z.number().int().min(min).max(max));
// redis:// or rediss://, with a database number if any (ioredis reads another scheme as a socket path).
// zod runs the refinement after z.url() failed too, so a URL that does not parse must not throw here.
const isRedisUrl = (v: string) => /^rediss?:\/\//.test(v) && URL.canParse(v) && /^\/?(\d+)?$/.test(new URL(v).pathname);
// Drivers decode a URL's user and password: a % not followed by two hex digits would fail there, naming nothing.
const decodable = (v: string) => !/%(?![0-9a-fA-F]{2})/.test(v);
const ESCAPE = 'has a % that is not a percent-escape (%XX): write a % in a password as %25';
// The service creates its tables in the database named: one left to PostgreSQL's default (the user's) is refused.
const postgresUrl = () =>
  z.string()
    .refine(decodable, ESCAPE)
    .refine(isPostgresUrl, 'expected a postgres:// or postgresql:// URL')
    .refine(namesDatabase, 'name the database in the URL (postgres://host:5432/dbname): the service creates its tables there');

const envSchema = z.object({
  PORT: int(0, 65535).default(8011),
  HOST: z.string().min(1).default('0.0.0.0'),
  // Unset: an embedded PostgreSQL in EMBEDDED_POSTGRES_DIR. A host or a Unix socket, as libpq takes them.
  DATABASE_URL: postgresUrl().optional(),
  EMBEDDED_POSTGRES_DIR: z.string().min(1).default('./.data/postgres'),
  EMBEDDED_POSTGRES_USER: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).default('postgres'),
  DATABASE_POOL_MAX: int(1, 500).default(10),
  DATABASE_CONNECT_TIMEOUT_S: int(1, 600).default(5),
  DATABASE_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(30_000),
  // A streaming replica of DATABASE_URL that serves requests' reads.
  DATABASE_READ_URL: postgresUrl().optional(),
  DATABASE_READ_MIN_POSITION_WAIT_MS: int(0, 60_000).default(250),
  // How a PostgreSQL server that stopped answering is found out (README "Failing fast").
  DATABASE_PROBE_AFTER_MS: int(10, 60_000).default(300),
  DATABASE_PROBE_TIMEOUT_MS: int(10, 60_000).default(1000),
  DATABASE_PROBE_INTERVAL_MS: int(10, 60_000).default(250),
  REDIS_URL: z.url().refine(decodable, ESCAPE).refine(isRedisUrl, 'expected redis://[user:password@]host[:port][/db] or rediss://…').default('redis://127.0.0.1:6379'),
  // A Redis Cluster instead of REDIS_URL: some of its nodes.
  REDIS_CLUSTER_NODES: z.string().refine((v) => v.split(',').every((a) => HOST_PORT.test(a.trim())), 'expected host:port,host:port,…').optional(),
  // broadcast: PUBLISH (any node's PSUBSCRIBE sees every channel); sharded: SPUBLISH (Redis 7).
  REDIS_PUBSUB: z.enum(['broadcast', 'sharded']).default('broadcast'),
  REDIS_CHANNEL_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{0,64}$/).default(''),
  // The Redis Streams mirror: every event also XADDed to <prefix>stream:events:<type>.
  REDIS_STREAMS: z.enum(['on', 'off']).default('off'),
  REDIS_STREAMS_MAXLEN: int(100, 100_000_000).default(100_000),
  REDIS_STREAMS_CHECK_MS: int(100, 3_600_000).default(5_000),
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  // Most events per group-commit transaction, not MAX_BATCH_EVENTS (one POST /events/batch); formerly APPEND_MAX_BATCH_EVENTS.
  GROUP_COMMIT_MAX_EVENTS: int(1, 100_000).optional(),
  APPEND_MAX_BATCH_EVENTS: int(1, 100_000).optional(),
  APPEND_MAX_IN_FLIGHT: int(1, 16).default(2),
  RELAY_BATCH_SIZE: int(1, 10_000).default(500),
  RELAY_POLL_INTERVAL_MS: int(10, 60_000).default(250),
  RELAY_LEASE_MS: int(500, 600_000).default(5_000),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  SSE_HEARTBEAT_MS: int(100, 600_000).default(15_000),
  SSE_MAX_STREAMS: int(1, 1_000_000).default(10_000),
  // Positions per partition of the events table for partitions made from now on (docs/storage.md).
  EVENTS_PARTITION_SIZE: int(1, 1_000_000_000_000).optional(),
  // The archive: a directory or s3://bucket/prefix; an S3-compatible endpoint; how often runs are scheduled (0: never).
  ARCHIVE_URL: z.string().refine((v) => /^(s3:\/\/[^/]+|file:\/\/\/)/.test(v) || !/^[a-z][a-z0-9+.-]*:/i.test(v), 'expected a directory, file:///absolute/dir or s3://bucket/prefix').default('./.data/archive'),
  ARCHIVE_S3_ENDPOINT: z.url().optional(),
  // The standard AWS variables, read here so that a service given `env` uses its own (else the SDK's chain: profiles, roles).
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  AWS_REGION: z.string().optional(),
  ARCHIVE_INTERVAL: z.string().refine((v) => parseSecondsOrDuration(v) !== null, 'expected seconds (3600) or an ISO 8601 duration (PT1H); 0 turns the schedule off').default('3600'),
  ARCHIVE_LEASE_MS: int(500, 3_600_000).default(30_000),
  ARCHIVE_SEGMENT_EVENTS: int(1, 10_000_000).default(100_000),
  ARCHIVE_SEGMENT_MB: int(1, 4096).default(64),
  ARCHIVE_ROW_GROUP_EVENTS: int(1, 1_000_000).default(5_000),
  ARCHIVE_CACHE_MB: int(0, 1_000_000).default(64),
  ARCHIVE_READ_TIMEOUT_MS: int(100, 600_000).default(10_000),
  // Share of a run's time spent reading and removing events in PostgreSQL; it sleeps the rest.
  ARCHIVE_MAX_BUSY: z.string().regex(/^\d+(\.\d+)?$/, 'expected a number from 0.05 to 1').transform(Number).pipe(z.number().min(0.05).max(1)).default(0.5),
  REPLAY_BATCH_SIZE: int(1, 10_000).default(500),
  REPLAY_PAUSE_MS: int(0, 60_000).default(5),
  STATS_BATCH_SIZE: int(1, 100_000).default(10_000),
  STATS_INTERVAL_MS: int(0, 60_000).default(200),
  UNREGISTERED_EVENT_TYPES: z.enum(['accept', 'reject']).default('accept'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_REQUESTS: z.enum(['true', 'false']).default('false'),
  // "secret:scopes,…", scopes joined by "+" from read, write, admin (admin implies the others).
  API_KEYS: z.string().optional(),
  AUTH: z.enum(['enabled', 'disabled']).default('enabled'),
  NODE_ENV: z.string().optional(),
  MAX_BATCH_EVENTS: int(1, 100_000).default(1000),
  MAX_QUERY_LIMIT: int(1, 100_000).default(1000),
  // A page of events ends once their JSON reaches this many bytes (it always holds one event).
  MAX_PAGE_BYTES: int(1, 1024 * 1024 * 1024).default(MAX_PAGE_BYTES),
  REQUEST_TIMEOUT_MS: int(0, 3_600_000).default(30_000),
  // Requests per second per API key (0: no limit), with a burst of twice that.
  RATE_LIMIT_PER_SECOND: int(0, 1_000_000).default(0),
});

export type Scope = 'read' | 'write' | 'admin';
export interface ApiKey {
  secret: string;
  scopes: ReadonlySet<Scope>;
  /** A short, non-secret label for logs and metrics. */
  label: string;
}

const KEY_SECRET = /^[A-Za-z0-9._~+/-]+=*$/;

function parseApiKeys(raw: string | undefined): ApiKey[] {
  if (!raw) return [];
  return raw.split(',').map((entry, i) => {
    const at = entry.lastIndexOf(':');
    const secret = entry.slice(0, at).trim();
    const scopeList = entry.slice(at + 1).trim().split('+');
    if (at <= 0 || !KEY_SECRET.test(secret)) throw new ConfigError(`invalid configuration:\n  API_KEYS: entry ${i + 1}: expected <secret>:<scopes> with a secret of [A-Za-z0-9._~+/-]`);
    const scopes = new Set<Scope>();
    for (const s of scopeList) {
      if (s !== 'read' && s !== 'write' && s !== 'admin') throw new ConfigError(`invalid configuration:\n  API_KEYS: entry ${i + 1}: unknown scope "${s}" (read, write, admin)`);
      scopes.add(s);
    }
    if (scopes.has('admin')) scopes.add('read').add('write');
    return { secret, scopes, label: `key${i + 1}` };
  });
}

export type Config = ReturnType<typeof parseConfig>;

/** A configuration whose database is known (DATABASE_URL, or the embedded server's URL). */
export type ResolvedConfig = Config & { database: Config['database'] & { url: string } };

export function withDatabaseUrl(config: Config, url: string): ResolvedConfig {
  return { ...config, database: { ...config.database, url } };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>) {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const keys = parseApiKeys(e.API_KEYS);
  if (keys.length === 0 && e.NODE_ENV === 'production' && e.AUTH !== 'disabled') {
    throw new ConfigError('NODE_ENV=production and no API_KEYS: refusing to start an open service. Set API_KEYS, or AUTH=disabled to run open on purpose.');
  }
  if (e.DATABASE_READ_URL && !e.DATABASE_URL) {
    throw new ConfigError('DATABASE_READ_URL is set but DATABASE_URL is not: a replica needs the primary it follows (the embedded PostgreSQL has none)');
  }
  return {
    http: { port: e.PORT, host: e.HOST, maxBodyBytes: e.MAX_BODY_BYTES },
    database: {
      url: e.DATABASE_URL,
      embedded: { dataDir: e.EMBEDDED_POSTGRES_DIR, user: e.EMBEDDED_POSTGRES_USER },
      poolMax: e.DATABASE_POOL_MAX,
      connectTimeoutSeconds: e.DATABASE_CONNECT_TIMEOUT_S,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      readUrl: e.DATABASE_READ_URL,
      minPositionWaitMs: e.DATABASE_READ_MIN_POSITION_WAIT_MS,
      probe: { afterMs: e.DATABASE_PROBE_AFTER_MS, timeoutMs: e.DATABASE_PROBE_TIMEOUT_MS, intervalMs: e.DATABASE_PROBE_INTERVAL_MS },
    },
    redis: {
      url: e.REDIS_URL,
      clusterNodes: e.REDIS_CLUSTER_NODES ? e.REDIS_CLUSTER_NODES.split(',').map((a) => a.trim()) : null,
      pubsub: e.REDIS_PUBSUB,
      channelPrefix: e.REDIS_CHANNEL_PREFIX,
      streams: { enabled: e.REDIS_STREAMS === 'on', maxlen: e.REDIS_STREAMS_MAXLEN, checkIntervalMs: e.REDIS_STREAMS_CHECK_MS },
    },
    append: { maxTransactionEvents: e.GROUP_COMMIT_MAX_EVENTS ?? e.APPEND_MAX_BATCH_EVENTS ?? 2000, maxInFlight: e.APPEND_MAX_IN_FLIGHT },
    relay: { batchSize: e.RELAY_BATCH_SIZE, pollIntervalMs: e.RELAY_POLL_INTERVAL_MS, leaseMs: e.RELAY_LEASE_MS },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    sse: { heartbeatMs: e.SSE_HEARTBEAT_MS, maxStreams: e.SSE_MAX_STREAMS },
    replays: { batchSize: e.REPLAY_BATCH_SIZE, pauseMs: e.REPLAY_PAUSE_MS },
    partitions: { size: e.EVENTS_PARTITION_SIZE, maintenanceIntervalMs: 30_000 },
    archive: {
      url: archiveUrl(e.ARCHIVE_URL),
      s3Endpoint: e.ARCHIVE_S3_ENDPOINT,
      s3Region: e.AWS_REGION || undefined,
      s3Credentials: e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}) }
        : undefined,
      intervalSeconds: parseSecondsOrDuration(e.ARCHIVE_INTERVAL)!,
      leaseMs: e.ARCHIVE_LEASE_MS,
      segmentEvents: e.ARCHIVE_SEGMENT_EVENTS,
      segmentBytes: e.ARCHIVE_SEGMENT_MB * 1024 * 1024,
      rowGroupEvents: e.ARCHIVE_ROW_GROUP_EVENTS,
      cacheBytes: e.ARCHIVE_CACHE_MB * 1024 * 1024,
      readTimeoutMs: e.ARCHIVE_READ_TIMEOUT_MS,
      maxBusy: e.ARCHIVE_MAX_BUSY,
    },
    stats: { batchSize: e.STATS_BATCH_SIZE, intervalMs: e.STATS_INTERVAL_MS },
    eventTypes: { rejectUnregistered: e.UNREGISTERED_EVENT_TYPES === 'reject' },
    logLevel: e.LOG_LEVEL,
    logRequests: e.LOG_REQUESTS === 'true',
    auth: { keys: e.AUTH === 'disabled' ? [] : keys, disabled: e.AUTH === 'disabled' },
    limits: { maxBatchEvents: e.MAX_BATCH_EVENTS, maxQueryLimit: e.MAX_QUERY_LIMIT, maxPageBytes: e.MAX_PAGE_BYTES, requestTimeoutMs: e.REQUEST_TIMEOUT_MS, ratePerSecond: e.RATE_LIMIT_PER_SECOND },
  };
}
