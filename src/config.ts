import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

// Every setting the service reads from the environment; README "Configuration" lists them.
const envSchema = z.object({
  PORT: int(0, 65535).default(8011),
  HOST: z.string().min(1).default('0.0.0.0'),
  // Unset: an embedded PostgreSQL in EMBEDDED_POSTGRES_DIR (see src/store/embedded-postgres.ts).
  DATABASE_URL: z.url().optional(),
  EMBEDDED_POSTGRES_DIR: z.string().min(1).default('./.data/postgres'),
  EMBEDDED_POSTGRES_USER: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).default('postgres'),
  DATABASE_POOL_MAX: int(1, 500).default(10),
  DATABASE_CONNECT_TIMEOUT_S: int(1, 600).default(5),
  DATABASE_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(30_000),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  // Put in front of every channel name (e.g. "staging:" gives "staging:events:agent").
  REDIS_CHANNEL_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{0,64}$/).default(''),
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  APPEND_MAX_BATCH_EVENTS: int(1, 100_000).default(2000),
  APPEND_MAX_IN_FLIGHT: int(1, 16).default(2),
  RELAY_BATCH_SIZE: int(1, 10_000).default(500),
  RELAY_POLL_INTERVAL_MS: int(10, 60_000).default(250),
  RELAY_LEASE_MS: int(500, 600_000).default(5_000),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  SSE_HEARTBEAT_MS: int(100, 600_000).default(15_000),
  REPLAY_BATCH_SIZE: int(1, 10_000).default(500),
  REPLAY_PAUSE_MS: int(0, 60_000).default(5),
  // What happens to an append of an event type with no registered payload schema.
  UNREGISTERED_EVENT_TYPES: z.enum(['accept', 'reject']).default('accept'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = ReturnType<typeof parseConfig>;

/** A configuration whose database is known (DATABASE_URL, or the embedded server's URL). */
export type ResolvedConfig = Config & { database: Config['database'] & { url: string } };

export function withDatabaseUrl(config: Config, url: string): ResolvedConfig {
  return { ...config, database: { ...config.database, url } };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Pure: validates an environment record and returns the nested configuration. */
export function parseConfig(env: Record<string, string | undefined>) {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    http: { port: e.PORT, host: e.HOST, maxBodyBytes: e.MAX_BODY_BYTES },
    database: {
      url: e.DATABASE_URL,
      embedded: { dataDir: e.EMBEDDED_POSTGRES_DIR, user: e.EMBEDDED_POSTGRES_USER },
      poolMax: e.DATABASE_POOL_MAX,
      connectTimeoutSeconds: e.DATABASE_CONNECT_TIMEOUT_S,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    redis: { url: e.REDIS_URL, channelPrefix: e.REDIS_CHANNEL_PREFIX },
    append: { maxBatchEvents: e.APPEND_MAX_BATCH_EVENTS, maxInFlight: e.APPEND_MAX_IN_FLIGHT },
    relay: { batchSize: e.RELAY_BATCH_SIZE, pollIntervalMs: e.RELAY_POLL_INTERVAL_MS, leaseMs: e.RELAY_LEASE_MS },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    sse: { heartbeatMs: e.SSE_HEARTBEAT_MS },
    replays: { batchSize: e.REPLAY_BATCH_SIZE, pauseMs: e.REPLAY_PAUSE_MS },
    eventTypes: { rejectUnregistered: e.UNREGISTERED_EVENT_TYPES === 'reject' },
    logLevel: e.LOG_LEVEL,
  };
}
