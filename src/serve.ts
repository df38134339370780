import { ConfigError } from './config.ts';
import { createEventService } from './event-service.ts';

/** Runs the service until SIGTERM or SIGINT, then stops it in order and exits 0. */
export async function serve(): Promise<void> {
  let events;
  try {
    events = await createEventService();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  await events.listen();
  const shutdown = (signal: string) => {
    events.logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    void events.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
