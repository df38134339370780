import { parseConfig } from '../config.ts';
import { createLogger } from '../observability/logger.ts';
import { startEmbeddedPostgres } from '../postgres/embedded.ts';
import { runMigrations } from '../postgres/migrate.ts';

export async function migrate(): Promise<void> {
  const config = parseConfig(process.env);
  const logger = createLogger(config.logLevel);
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres({ ...config.database.embedded, logger });
  try {
    await runMigrations(config.database.url ?? embedded!.url, config.database.connectTimeoutSeconds, { logger });
    logger.info('migrations applied');
  } finally {
    await embedded?.stop();
  }
}
