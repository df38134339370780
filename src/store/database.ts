import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.ts';

export interface DatabaseOptions {
  url: string;
  poolMax: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
}

export type Sql = postgres.Sql;
export type Db = ReturnType<typeof createDb>;

function createDb(sql: Sql) {
  return drizzle({ client: sql, schema });
}

export interface Database {
  sql: Sql;
  db: Db;
  close(timeoutSeconds?: number): Promise<void>;
}

export function createDatabase(options: DatabaseOptions): Database {
  const sql = postgres(options.url, {
    max: options.poolMax,
    connect_timeout: options.connectTimeoutSeconds,
    idle_timeout: 60,
    onnotice: () => {},
    connection: {
      application_name: 'event-service',
      statement_timeout: options.statementTimeoutMs,
      // A session that dies mid-transaction must not hold the append lock for long.
      idle_in_transaction_session_timeout: 60_000,
      TimeZone: 'UTC',
    },
  });
  return {
    sql,
    db: createDb(sql),
    close: (timeoutSeconds = 5) => sql.end({ timeout: timeoutSeconds }),
  };
}
