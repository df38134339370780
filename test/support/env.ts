import { withDatabaseName } from '../../src/postgres/url.ts';

// Where the suite finds PostgreSQL and Redis: TEST_DATABASE_URL / TEST_REDIS_URL, else the
// local defaults, else (PostgreSQL only) an embedded server the global setup starts for the run
// and publishes as TEST_DATABASE_URL. The database URL names a database the suite can connect
// to and create databases from (it needs CREATEDB); each test file gets its own database.
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const adminDatabaseUrl = () => process.env.TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL;
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  return withDatabaseName(adminDatabaseUrl(), name);
}
