import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../../src/observability/logger.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/postgres/embedded.ts';
import { runMigrations } from '../../src/postgres/migrate.ts';
import { buildIfStale } from './build.ts';
import { adminDatabaseUrl, DEFAULT_DATABASE_URL, databaseUrl, testRedisUrl } from './env.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    runId: string;
    templateDatabase: string;
  }
}

const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

async function checkRedis() {
  const redis = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `The tests need Redis at ${testRedisUrl} (${(error as Error).message}). ` +
        `Start one with "docker compose up -d redis" or your distribution's redis-server package, or set TEST_REDIS_URL.`,
    );
  } finally {
    redis.disconnect();
  }
}

async function reachable(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end();
  }
}

/**
 * Once per run: builds the service if a source changed, checks the services, builds a template
 * database from the real migrations (each test file then copies it, which is fast), and drops
 * this run's databases afterwards.
 */
export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  buildIfStale('tests');
  await checkRedis();
  // No TEST_DATABASE_URL and nothing at the local default: an embedded server for this run.
  let embedded: EmbeddedPostgres | undefined;
  if (!process.env.TEST_DATABASE_URL && !(await reachable(DEFAULT_DATABASE_URL))) {
    embedded = await startEmbeddedPostgres({ dataDir: join(tmpdir(), `evt-embedded-${runId}`), user: 'postgres', logger: createLogger('silent') });
    process.env.TEST_DATABASE_URL = embedded.url; // the test workers inherit it
  }
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin`select 1`;
  } catch (error) {
    await admin.end();
    throw new Error(
      `The tests need PostgreSQL at ${adminDatabaseUrl()} (${(error as Error).message}). ` +
        `Start one with "docker compose up -d postgres", or set TEST_DATABASE_URL.`,
    );
  }

  const template = `evt_${runId}_tpl`;

  // Databases left by runs that were killed before their teardown.
  const old = await admin<{ datname: string }[]>`select datname from pg_database where datname ~ '^evt_[a-z0-9]+_'`;
  for (const { datname } of old) {
    const born = parseInt(datname.slice(4, 12), 36);
    if (Number.isFinite(born) && Date.now() - born > STALE_AFTER_MS) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
  }

  await admin.unsafe(`create database "${template}"`);
  await runMigrations(databaseUrl(template));
  project.provide('runId', runId);
  project.provide('templateDatabase', template);

  return async () => {
    const mine = await admin<{ datname: string }[]>`select datname from pg_database where datname like ${`evt_${runId}_%`}`;
    for (const { datname } of mine) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    await admin.end();
    if (embedded) {
      await embedded.stop();
      await rm(embedded.dataDir, { recursive: true, force: true });
      await rm(`${embedded.dataDir}.password`, { force: true });
    }
  };
}
