import { ConfigError } from '../config.ts';
import { isUnavailable } from '../postgres/errors.ts';
import { DatabaseStartError, StartAbortedError } from '../postgres/migrate.ts';
import { ListenError } from '../http/server.ts';
import { type RunningService, startEventService } from '../start.ts';

/** Runs the service until SIGTERM or SIGINT, then stops it in order and exits 0. */
export async function serve(): Promise<void> {
  // A signal during start-up ends a wait for another instance's migrations (unbounded otherwise).
  const stopStart = new AbortController();
  const starting: Promise<RunningService> = startEventService({ signal: stopStart.signal }).then(async (service) => {
    try {
      await service.listen();
    } catch (error) {
      await service.close().catch(() => {}); // stops the embedded PostgreSQL, if any
      throw error;
    }
    // A connection reset no caller received must not end the service; anything else is a bug: exit.
    process.on('unhandledRejection', (reason) => {
      if (isUnavailable(reason)) {
        service.logger.warn({ err: (reason as Error)?.message }, 'a connection failed outside any request; the service carries on');
        return;
      }
      service.logger.fatal({ err: reason }, 'unhandled rejection');
      // Stop what was started (an embedded PostgreSQL above all) before exiting.
      void service.close().catch(() => {}).finally(() => process.exit(1));
    });
    return service;
  });
  // Installed before anything starts, so a signal during start-up stops what was started (embedded PostgreSQL above all).
  const shutdown = (signal: string) => {
    stopStart.abort();
    void starting.then(async (service) => {
      service.logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
      try {
        await service.close();
      } catch (error) {
        // Steps abandoned at their deadline (each is logged): a stop left unfinished exits 1.
        service.logger.error({ err: (error as Error).message }, 'stopped, with work left undone');
        process.exit(1);
      }
      service.logger.info('stopped');
      process.exit(0);
    }, () => {}); // a failed start is reported below
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await starting;
  } catch (error) {
    if (error instanceof ConfigError) exit(2, error.message);
    if (error instanceof StartAbortedError) exit(0, `event service stopped during start-up: ${error.message}`);
    if (error instanceof DatabaseStartError || error instanceof ListenError) exit(1, `event service failed to start: ${error.message}`);
    throw error;
  }
}

function exit(code: number, message: string): never {
  console.error(message);
  process.exit(code);
}
