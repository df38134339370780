import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import { OutputClosed, target, type Target } from './http.ts';
import { BATCH, IN_FLIGHT } from './import.ts';

// Each command loads what it needs when it runs: --help and the HTTP commands stay quick.
const EXPORT_FILTERS = ['aggregate_type', 'aggregate_id', 'event_type', 'correlation_id', 'from', 'to', 'after'] as const;

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: Options;
  positionals?: number;
  run(values: Values, positionals: string[]): Promise<void>;
}

const CONNECTION: Options = {
  url: { type: 'string', default: undefined },
  key: { type: 'string' },
  retries: { type: 'string' },
  timeout: { type: 'string' },
};
const CONNECTION_HELP = `  --url URL        the service (default: EVENTS_URL, else http://localhost:8011)
  --key KEY        an API key when the service requires one (default: EVENTS_API_KEY)
  --retries N      attempts after a failure to reach the service, or a 429/5xx (default 5)
  --timeout S      seconds to wait for an answer to begin before trying again (default 60; 0: no limit)`;

/** The service to talk to, from --url, --key and --timeout; a URL that is not http(s) is refused before anything is tried. */
const targetOf = (values: Values): Target => {
  const raw = values.timeout as string | undefined;
  if (raw !== undefined && !/^\d{1,6}$/.test(raw)) throw new UsageError(`--timeout must be a whole number of seconds, got "${raw}"`);
  const t = target(values as { url?: string; key?: string }, Number(raw ?? 60) * 1000);
  if (!URL.canParse(t.url) || !/^https?:$/.test(new URL(t.url).protocol)) {
    const problem = `must be an http:// or https:// URL, got "${t.url}"`;
    if (values.url === undefined) throw new ConfigError(`events-service: EVENTS_URL ${problem}`);
    throw new UsageError(`--url ${problem}`);
  }
  return t;
};

const retriesOf = (values: Values, fallback = 5): number => {
  const raw = values.retries as string | undefined;
  if (raw === undefined) return fallback;
  if (!/^\d{1,6}$/.test(raw)) throw new UsageError(`--retries must be a whole number, got "${raw}"`);
  return Number(raw);
};

/** A position from --after: a whole number, checked here so the service is never sent after=NaN. */
const positionOf = (values: Values): string | undefined => {
  const raw = values.after as string | undefined;
  if (raw !== undefined && !(/^\d{1,16}$/.test(raw) && Number.isSafeInteger(Number(raw)))) throw new UsageError(`--after must be a position (a whole number), got "${raw}"`);
  return raw;
};

/** A count of events from --limit or --batch: 1 to 10,000. */
const countOf = (values: Values, flag: 'limit' | 'batch'): number | undefined => {
  const raw = values[flag] as string | undefined;
  if (raw === undefined) return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000) throw new UsageError(`--${flag} must be a whole number from 1 to 10000, got "${raw}"`);
  return Number(raw);
};

export class UsageError extends Error {
  override name = 'UsageError';
}

export const commands: Record<string, Command> = {
  serve: {
    summary: 'run the service (as npm start; configuration from the environment, see README)',
    usage: 'serve',
    options: {},
    run: async () => (await import('./serve.ts')).serve(),
  },
  migrate: {
    summary: 'apply pending migrations to DATABASE_URL (or the embedded PostgreSQL) and exit',
    usage: 'migrate',
    options: {},
    run: async () => (await import('./migrate.ts')).migrate(),
  },
  tail: {
    summary: 'print events as they are appended, one JSON line each',
    usage: `tail [AGGREGATE_TYPE] [--after POSITION] [--follow]\n${CONNECTION_HELP}\n  --after P        start after this position (default: new events only)\n  --follow         reconnect forever instead of giving up after --retries`,
    options: { ...CONNECTION, after: { type: 'string' }, follow: { type: 'boolean' } },
    positionals: 1,
    run: async (values, [type]) => (await import('./tail.ts')).tail(targetOf(values), type, positionOf(values), values.follow ? Infinity : retriesOf(values)),
  },
  export: {
    summary: 'print stored events as NDJSON, in position order',
    usage: `export [--aggregate_type T] [--aggregate_id ID] [--event_type T] [--correlation_id C] [--from TIME] [--to TIME] [--after P]\n${CONNECTION_HELP}\n  filters as in GET /events`,
    options: { ...CONNECTION, ...Object.fromEntries(EXPORT_FILTERS.map((f) => [f, { type: 'string' }])) },
    async run(values) {
      const filters = Object.fromEntries(EXPORT_FILTERS.map((f) => [f, values[f] as string | undefined]));
      filters.after = positionOf(values);
      await (await import('./export.ts')).exportEvents(targetOf(values), filters, retriesOf(values));
    },
  },
  'consumer-groups': {
    summary: 'print the consumer groups of the Redis Streams mirror, one JSON line each',
    usage: `consumer-groups [--aggregate_type T]\n${CONNECTION_HELP}`,
    options: { ...CONNECTION, aggregate_type: { type: 'string' } },
    run: async (values) => (await import('./consumer-groups.ts')).listConsumerGroups(targetOf(values), values.aggregate_type as string | undefined, retriesOf(values)),
  },
  parked: {
    summary: "list a consumer group's parked events, replay them to the group, or discard them",
    usage: `parked list|replay|discard AGGREGATE_TYPE GROUP [--limit N] [--id ENTRY_ID ...]\n${CONNECTION_HELP}\n  --limit N        list: at most N; replay: the oldest N (default 1000); discard: the oldest N (--id or --limit required)\n  --id ENTRY_ID    replay, discard: only these parked entries (repeatable)`,
    options: { ...CONNECTION, limit: { type: 'string' }, id: { type: 'string', multiple: true } },
    positionals: 3,
    async run(values, [action, type, group]) {
      if (!type || !group || (action !== 'list' && action !== 'replay' && action !== 'discard')) throw new UsageError('expected list, replay or discard, then AGGREGATE_TYPE and GROUP');
      const ids = (values.id as unknown as string[] | undefined) ?? [];
      const parked = await import('./consumer-groups.ts');
      if (action === 'list') {
        if (ids.length > 0) throw new UsageError('--id is for replay and discard');
        return parked.listParked(targetOf(values), type, group, countOf(values, 'limit'), retriesOf(values));
      }
      const limit = countOf(values, 'limit');
      if (action === 'discard' && ids.length === 0 && limit === undefined) throw new UsageError('discard deletes only what it is told to: give --id ENTRY_ID or --limit N');
      return parked.takeParked(action, targetOf(values), type, group, ids, limit, retriesOf(values));
    },
  },
  retention: {
    summary: 'list, get, set or delete retention policies (SPEC §8)',
    usage: `retention list | get TYPE | set TYPE [--archive_after DURATION] [--delete_after DURATION] | delete TYPE\n${CONNECTION_HELP}\n  --archive_after D  ISO 8601 duration on created_at (P30D, PT12H, PT0S); left out or "never": never\n  --delete_after D   the same, for deletion from every tier; not shorter than --archive_after`,
    options: { ...CONNECTION, archive_after: { type: 'string' }, delete_after: { type: 'string' } },
    positionals: 2,
    async run(values, [action, type]) {
      const durations = { archive_after: values.archive_after as string | undefined, delete_after: values.delete_after as string | undefined };
      await (await import('./retention.ts')).retention(targetOf(values), action, type, durations, retriesOf(values));
    },
  },
  archive: {
    summary: 'run the archiver now and follow it (--dry-run: only say what it would do)',
    usage: `archive [--dry-run]\n${CONNECTION_HELP}\n  --dry-run        count what a run would archive and delete, change nothing`,
    options: { ...CONNECTION, 'dry-run': { type: 'boolean' } },
    async run(values) {
      await (await import('./archive.ts')).archive(targetOf(values), values['dry-run'] === true, retriesOf(values));
    },
  },
  import: {
    summary: 'append NDJSON events from stdin (ids kept: safe to run again)',
    usage: `import [--in-order] [--batch N] < events.ndjson\n${CONNECTION_HELP}\n  --in-order       one batch at a time: events of different aggregates keep the input's order too\n                   (by default ${IN_FLIGHT} batches go at once; each aggregate's events keep their order)\n  --batch N        most events per request (default ${BATCH}, or the lower MAX_BATCH_EVENTS a\n                   refusal names)`,
    options: { ...CONNECTION, 'in-order': { type: 'boolean' }, batch: { type: 'string' } },
    async run(values) {
      const { importEvents } = await import('./import.ts');
      await importEvents(targetOf(values), retriesOf(values), values['in-order'] ? 1 : IN_FLIGHT, countOf(values, 'batch'));
    },
  },
};

export const USAGE = `usage: events-service <command> [options]   (events-service <command> --help)

${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(15)} ${c.summary}`).join('\n')}

Exit codes: 0 done; 1 failed (the message says why); 2 a usage or configuration error.`;

export function parseCommand(command: Command, args: string[]): { values: Values; positionals: string[]; help: boolean } {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (positionals.length > (command.positionals ?? 0)) throw new UsageError(`unexpected argument "${positionals[command.positionals ?? 0]}"`);
    return { values, positionals, help: values.help === true };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h') return print(USAGE, 0);
  if (name === 'help') return args[0] === undefined ? print(USAGE, 0) : runCli([args[0], '--help']);
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) return print(`events-service: unknown command "${name}"\n\n${USAGE}`, 2);
  try {
    const { values, positionals, help } = parseCommand(command, args);
    if (help) return print(`usage: events-service ${command.usage}\n\n${command.summary}`, 0);
    await command.run(values, positionals);
    return 0;
  } catch (error) {
    if (error instanceof OutputClosed) return 0;
    if (error instanceof UsageError) return print(`events-service ${name}: ${error.message}\nusage: events-service ${command.usage.split('\n')[0]}`, 2);
    if (error instanceof ConfigError) return print(error.message, 2);
    return print(`events-service ${name}: ${(error as Error).message}`, 1);
  }
}

function print(text: string, code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(text + '\n');
  return code;
}
