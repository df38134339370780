import { serve } from '@hono/node-server';
import { type Config, ConfigError, parseConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createService } from './service.ts';
import { runMigrations } from './store/migrate.ts';

async function main() {
  let config: Config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const where = new URL(config.database.url);
  logger.info({ database: `${where.host}${where.pathname}` }, 'applying migrations');
  await runMigrations(config.database.url);

  const service = createService(config, logger);
  const server = serve({ fetch: service.app.fetch, port: config.http.port, hostname: config.http.host }, (info) =>
    logger.info({ port: info.port, host: config.http.host }, 'event service listening'),
  );

  let stopping = false;
  async function shutdown(signal: string) {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    const force = setTimeout(() => {
      logger.warn('shutdown timeout: closing remaining connections');
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    force.unref();
    // Keep-alive connections whose last response finishes after close() would otherwise stay
    // open until their idle timeout.
    const reaper = setInterval(() => 'closeIdleConnections' in server && server.closeIdleConnections(), 50);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearInterval(reaper);
    await service.close();
    clearTimeout(force);
    logger.info('stopped');
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  console.error('event service failed to start:', error);
  process.exit(1);
});
