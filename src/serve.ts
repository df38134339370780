import { ConfigError } from './config.ts';
import { createEventService } from './event-service.ts';
import { DatabaseStartError } from './postgres/migrate.ts';
import { isUnavailable } from './postgres/errors.ts';

/** Runs the service until SIGTERM or SIGINT, then stops it in order and exits 0. */
export async function serve(): Promise<void> {
  const starting = createEventService().then(async (events) => {
    await events.listen();
    // A connection reset the drivers did not route to a caller (seen once when the embedded
    // PostgreSQL was killed under load) must not bring the service down: every request and the
    // relay already handle their own connection failures. Anything else is a bug: exit.
    process.on('unhandledRejection', (reason) => {
      if (isUnavailable(reason)) {
        events.logger.warn({ err: (reason as Error)?.message }, 'a connection failed outside any request; the service carries on');
        return;
      }
      events.logger.fatal({ err: reason }, 'unhandled rejection');
      process.exit(1);
    });
    return events;
  });
  // Installed before anything starts: a signal during start-up waits for it to settle and then
  // stops whatever was started (the embedded PostgreSQL above all) instead of leaving it running.
  const shutdown = (signal: string) =>
    void starting.then(async (events) => {
      events.logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
      await events.close();
      process.exit(0);
    }, () => {}); // a failed start is reported by the caller, which exits
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await starting;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    if (error instanceof DatabaseStartError) {
      console.error(`event service failed to start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
