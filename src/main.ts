import { ConfigError } from './config.ts';
import { createEventService } from './event-service.ts';

async function main() {
  const events = await createEventService();
  await events.listen();
  const shutdown = (signal: string) => {
    events.logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    void events.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error('event service failed to start:', error);
  process.exit(1);
});
