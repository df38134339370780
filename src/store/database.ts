import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.ts';

export interface DatabaseOptions {
  url: string;
  /** Connections for reads and everything else but appends. */
  poolMax: number;
  /** Connections of the append queue's own, one per append transaction in flight (default 1). */
  appendConnections?: number;
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
  /**
   * The append queue's connections, each a client of exactly one connection. Appends never
   * wait behind reads (postgres.js queues a query on a busy connection when none is free), and
   * a lone client's appends stay on one backend instead of going round every open pool
   * connection in turn, which costs each of them (bench/README.md, "Connections").
   */
  appendSql: Sql[];
  close(timeoutSeconds?: number): Promise<void>;
}

export function createDatabase(options: DatabaseOptions): Database {
  const client = (max: number, applicationName: string) =>
    postgres(options.url, {
      max,
      connect_timeout: options.connectTimeoutSeconds,
      idle_timeout: 60,
      onnotice: () => {},
      connection: {
        application_name: applicationName,
        statement_timeout: options.statementTimeoutMs,
        // A session that dies mid-transaction must not hold the append lock for long.
        idle_in_transaction_session_timeout: 60_000,
        TimeZone: 'UTC',
      },
    });
  const sql = client(options.poolMax, 'event-service');
  const appendSql = Array.from({ length: options.appendConnections ?? 1 }, () => client(1, 'event-service-append'));
  return {
    sql,
    db: createDb(sql),
    appendSql,
    close: async (timeoutSeconds = 5) => {
      await Promise.all([sql, ...appendSql].map((s) => s.end({ timeout: timeoutSeconds })));
    },
  };
}
