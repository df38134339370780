import { ConfigError, parseConfig } from '../config.ts';
import { createLogger } from '../observability/logger.ts';
import { serve } from '../serve.ts';
import { startEmbeddedPostgres } from '../postgres/embedded.ts';
import { runMigrations } from '../postgres/migrate.ts';
import { exportEvents } from './export.ts';
import { target } from './http.ts';
import { importEvents } from './import.ts';
import { tail } from './tail.ts';

const USAGE = `usage: events-service <command>

  serve                         run the service (as npm start; configuration from the environment)
  migrate                       apply pending migrations to DATABASE_URL (or the embedded PostgreSQL) and exit
  tail [aggregate_type]         print events as they are appended, one JSON line each
  export [--aggregate_type X] [--aggregate_id X] [--event_type X] [--correlation_id X]
         [--from T] [--to T] [--after P]   print stored events as NDJSON, in position order
  import                        append NDJSON events from stdin (ids kept: safe to run again)

tail, export and import talk to a running service: --url (or EVENTS_URL, default
http://localhost:8011) and --key (or EVENTS_API_KEY) when it requires API keys.`;

function parseArgs(argv: string[]) {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) positional.push(a);
    else if (a.includes('=')) flags[a.slice(2, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
    else flags[a.slice(2)] = argv[++i] ?? '';
  }
  return { positional, flags };
}

async function migrate() {
  const config = parseConfig(process.env);
  const logger = createLogger(config.logLevel);
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres({ ...config.database.embedded, logger });
  try {
    await runMigrations(config.database.url ?? embedded!.url);
    logger.info('migrations applied');
  } finally {
    await embedded?.stop();
  }
}

async function main() {
  const { positional, flags } = parseArgs(process.argv.slice(2));
  const [command, arg] = positional;
  switch (command) {
    case 'serve':
      return serve();
    case 'migrate':
      return migrate();
    case 'tail':
      return tail(target(flags), arg, flags);
    case 'export':
      await exportEvents(target(flags), flags);
      return;
    case 'import':
      await importEvents(target(flags));
      return;
    default:
      console.error(USAGE);
      process.exit(command ? 2 : 0);
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : `events-service: ${(error as Error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
