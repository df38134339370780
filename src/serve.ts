import { ConfigError } from './config.ts';
import { createEventService } from './event-service.ts';

/** Runs the service until SIGTERM or SIGINT, then stops it in order and exits 0. */
export async function serve(): Promise<void> {
  const starting = createEventService().then(async (events) => {
    await events.listen();
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
    throw error;
  }
}
