import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { withDeadline } from '../events/deadline.ts';
import { isMisconfigured, isUnavailable, postgresErrorOf } from './errors.ts';
import type { Sql } from './database.ts';
import type { Logger } from '../observability/logger.ts';
import { connectPostgres, postgresTarget } from './url.ts';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

export interface MigrationWait {
  /** Stops waiting for another instance's migrations (a signal during start-up): rejects with StartAbortedError. */
  signal?: AbortSignal;
  /** Told once when another instance holds the migrations' lock. */
  logger?: Logger;
}

/** Applies pending migrations on one connection; an advisory lock makes instances starting together take turns. */
export async function runMigrations(url: string, connectTimeoutSeconds = 10, wait: MigrationWait = {}): Promise<void> {
  const sql = connectPostgres(url, { max: 1, onnotice: () => {}, connect_timeout: connectTimeoutSeconds });
  const where = postgresTarget(url).where;
  try {
    await firstAnswer(sql, connectTimeoutSeconds, where);
  } catch (error) {
    await sql.end({ timeout: 0 });
    throw error;
  }
  try {
    await takeMigrationLock(sql, where, wait);
    await migrate(drizzle({ client: sql }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// Tried every 250 ms rather than waited for in pg_advisory_lock(): a wait that a stop can end, and can say it waits.
// The lock is the session's until the connection ends.
async function takeMigrationLock(sql: Sql, where: string, { signal, logger }: MigrationWait): Promise<void> {
  for (let waiting = false; ; waiting = true) {
    const [row] = await sql<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtext('event-service:migrations')) as locked`.catch((error) => {
      throw explainConnectFailure(error, where);
    });
    if (row!.locked) return;
    if (!waiting) logger?.info('waiting for another instance to finish migrating (it holds the migrations\' advisory lock)');
    if (signal?.aborted) throw new StartAbortedError('stopped while waiting for another instance to finish migrating');
    await sleep(250, undefined, { signal }).catch(() => {}); // an abort ends the pause; the next turn throws
  }
}

/** The start was stopped (SIGTERM, SIGINT) before it finished. */
export class StartAbortedError extends Error {
  override name = 'StartAbortedError';
}

// postgres.js opens a new connection, without end, when one closes before it is ready (a port
// where something other than PostgreSQL answers), and connect_timeout covers only the TCP
// connect: the first answer is bounded here instead.
async function firstAnswer(sql: Sql, seconds: number, where: string, variable = 'DATABASE_URL'): Promise<void> {
  await withDeadline(
    sql`select 1`.catch((error) => Promise.reject(explainConnectFailure(error, where, variable))),
    seconds * 1000,
    () => new DatabaseStartError(`no answer from PostgreSQL at ${where} within ${seconds} s (DATABASE_CONNECT_TIMEOUT_S); is a PostgreSQL server listening there, and does ${variable} point at it?`),
  );
}

/**
 * DATABASE_READ_URL at the start: a login or database it names wrongly stops the start, as
 * DATABASE_URL's would (every read would fail otherwise); an unreachable replica does not, reads
 * going to the primary until it answers.
 */
export async function checkReplica(url: string, connectTimeoutSeconds: number, logger: Pick<Logger, 'warn'>): Promise<void> {
  const sql = connectPostgres(url, { max: 1, onnotice: () => {}, connect_timeout: connectTimeoutSeconds });
  try {
    await firstAnswer(sql, connectTimeoutSeconds, postgresTarget(url).where, 'DATABASE_READ_URL');
  } catch (error) {
    if (!(error instanceof DatabaseStartError) || isMisconfigured(error.cause)) throw error;
    logger.warn({ err: error.message }, 'the read replica does not answer: reads go to the primary until it does');
  } finally {
    await sql.end({ timeout: 0 });
  }
}

export class DatabaseStartError extends Error {
  override name = 'DatabaseStartError';
}

function explainConnectFailure(error: unknown, where: string, variable = 'DATABASE_URL'): unknown {
  const detail = (error as Error).message;
  const code = postgresErrorOf(error)?.code;
  if (code === '28P01' || code === '28000') {
    return new DatabaseStartError(`PostgreSQL at ${where} refused the login (${detail}); check the user and password in ${variable}`, { cause: error });
  }
  if (code === '3D000') {
    return new DatabaseStartError(`PostgreSQL at ${where}: ${detail}; create it (createdb) or name an existing database in ${variable}`, { cause: error });
  }
  if (isUnavailable(error)) {
    return new DatabaseStartError(`cannot reach PostgreSQL at ${where} (${detail}); is it running, and does ${variable} point at it?`, { cause: error });
  }
  return error;
}

export async function appliedMigrations(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: string }[]>`select count(*) as n from drizzle.__drizzle_migrations`;
  return Number(row!.n);
}

export function knownMigrations(): number {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}
