import { serve, type ServerType } from '@hono/node-server';
import { parseConfig, withDatabaseUrl } from './config.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './postgres/embedded.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createService, type ServiceDefinitions } from './service.ts';
import { runMigrations } from './postgres/migrate.ts';
import { postgresTarget } from './postgres/url.ts';

export interface EventServiceOptions extends ServiceDefinitions {
  /** Where configuration is read from (default: process.env); see README "Configuration". */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

/**
 * The service as a library: parses the configuration, applies pending migrations and builds
 * the app with a team's own aggregate definitions and event types. `listen()` serves it;
 * `close()` stops in order (no new connections, requests in flight finish, the relay hands
 * over, pools close).
 */
export async function createEventService(options: EventServiceOptions = {}) {
  const parsed = parseConfig(options.env ?? process.env);
  const logger = options.logger ?? createLogger(parsed.logLevel);
  let embedded: EmbeddedPostgres | undefined;
  if (!parsed.database.url) {
    embedded = await startEmbeddedPostgres({ ...parsed.database.embedded, logger });
    logger.info(
      { dataDir: embedded.dataDir },
      `no DATABASE_URL: using an embedded PostgreSQL with its data in ${embedded.dataDir}; set DATABASE_URL to use your own PostgreSQL server instead`,
    );
  }
  const config = withDatabaseUrl(parsed, parsed.database.url ?? embedded!.url);
  try {
    logger.info({ database: postgresTarget(config.database.url).where }, 'applying migrations');
    await runMigrations(config.database.url);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  if (config.auth.keys.length === 0) {
    logger.warn(
      config.auth.disabled ? 'AUTH=disabled: the API is open to anyone who can reach it' : 'no API_KEYS: the API is open to anyone who can reach it; set API_KEYS="<secret>:read+write,…" to require keys',
    );
  }
  const service = createService(config, logger, options);
  // Redis is optional: say so once, clearly, without delaying the start by more than a second.
  if (service.redis.status !== 'ready') {
    // Not events.once(): it rejects on the first 'error', and a refused connection is one.
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), 1000);
      const onReady = () => done(true);
      function done(value: boolean) {
        clearTimeout(timer);
        service.redis.off('ready', onReady);
        resolve(value);
      }
      service.redis.once('ready', onReady);
    });
    if (!ready) {
      logger.warn(
        { redis: config.redis.url },
        'Redis is not reachable: appends, reads and streams work, and publication to Redis waits until it is. Start one with "docker compose up -d redis" or your distribution\'s redis-server package, or set REDIS_URL.',
      );
    }
  }
  let server: ServerType | undefined;
  let closing: Promise<void> | undefined;

  async function stop() {
    if (server) {
      const s = server;
      const force = setTimeout(() => {
        logger.warn('shutdown timeout: closing remaining connections');
        if ('closeAllConnections' in s) s.closeAllConnections();
      }, config.shutdownTimeoutMs);
      force.unref();
      // Keep-alive connections whose last response finishes after close() would otherwise
      // stay open until their idle timeout.
      const reaper = setInterval(() => 'closeIdleConnections' in s && s.closeIdleConnections(), 50);
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      // SSE streams never finish by themselves: end them, their clients reconnect elsewhere.
      service.endStreams();
      await closed;
      clearInterval(reaper);
      clearTimeout(force);
    }
    await service.close();
    await embedded?.stop();
    logger.info('stopped');
  }

  return {
    config,
    logger,
    service,
    app: service.app,
    /** Serves on the configured host and port; resolves once listening. */
    listen(): Promise<{ port: number }> {
      return new Promise((resolve) => {
        server = serve({ fetch: service.app.fetch, port: config.http.port, hostname: config.http.host }, (info) => {
          logger.info({ port: info.port, host: config.http.host }, 'event service listening');
          resolve({ port: info.port });
        });
      });
    },
    close(): Promise<void> {
      closing ??= stop();
      return closing;
    },
  };
}
